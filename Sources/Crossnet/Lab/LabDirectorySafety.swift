import Foundation

/// The lab folder holds the lab's private keys and the files its root-run daemons read; another
/// user who can write it could swap them. `lab up` accepts only a folder this user owns that no
/// group or other user can write.
enum LabDirectorySafety {
    /// Throws ``InputError`` naming the folder, its owner or mode, and the fix.
    ///
    /// - Parameters:
    ///   - mustExist: `false` accepts a folder that does not exist yet (`up` creates it 0700).
    ///   - userID: the user the folder must belong to; default this process's effective user.
    static func check(_ directory: String, mustExist: Bool, userID: uid_t = geteuid()) throws {
        var info = stat()
        guard lstat(directory, &info) == 0 else {
            if errno == ENOENT && !mustExist { return }
            throw InputError("lab folder \(directory): \(String(cString: strerror(errno))); give a folder this user can create")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            let what = (info.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "not a folder"
            throw InputError("lab folder \(directory) is \(what); give a plain folder (or a path that does not exist yet)")
        }
        if info.st_uid != userID {
            throw InputError(
                "lab folder \(directory) belongs to \(userName(info.st_uid)), not to \(userName(userID)) who runs the lab; "
                    + "use a folder of your own (or `chown \(userName(userID)) \(directory)`)")
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o022 != 0 {
            let who = mode & 0o002 != 0 ? "everyone" : "its group"
            throw InputError(
                "lab folder \(directory) is writable by \(who) (mode \(String(mode, radix: 8))); "
                    + "run `chmod go-w \(directory)` or use another folder")
        }
    }

    /// `name (uid N)`, or `uid N` when the user has no passwd entry.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }
}
