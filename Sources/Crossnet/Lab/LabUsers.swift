import Foundation

extension VirtualLab {
    /// Home folder of a user the lab creates (inside the lab directory, removed with it).
    var userHome: String { directory + "/home" }

    /// Makes `user` a login on this machine in the `docker` group: creates the group and the user
    /// when missing (recorded in the state so `down` removes them), or adds an existing user to
    /// the group (taken out again by `down`). Also checks that the user may reach the lab's Engine
    /// sockets (every folder above the lab directory searchable by others).
    func prepareUser(_ user: String, state: inout LabState, shell: LabShell) async throws {
        let group = LabOptions.dockerGroup
        if getgrnam(group) == nil {
            state.createdGroup = group
            try state.save()
            try await shell.run("create group \(group)", ["groupadd", group])
        }
        if getpwnam(user) == nil {
            state.createdUser = user
            try state.save()
            try makeFolder(userHome)
            try await shell.run(
                "create lab user \(user)",
                // Password field `*`: no password, but not a locked account (sshd without PAM
                // refuses locked accounts even for keys).
                ["useradd", "--no-create-home", "--home-dir", userHome, "--shell", "/bin/bash", "--groups", group,
                 "--password", "*",
                 "--comment", "crossnet lab \(id)", user],
                hint: "check useradd works here (run as root)")
            try await shell.run("give \(user) its home", ["chown", "\(user):", userHome])
        } else if !Self.isMember(user, of: group) {
            state.addedToGroup = user
            try state.save()
            try await shell.run("add \(user) to \(group)", ["usermod", "-aG", group, user])
        }
        try checkSearchable(for: user)
    }

    /// `true` when `user` is in `group` (as a supplementary member or by primary group).
    static func isMember(_ user: String, of group: String) -> Bool {
        guard let entry = getgrnam(group) else { return false }
        if let account = getpwnam(user), account.pointee.pw_gid == entry.pointee.gr_gid { return true }
        var member = entry.pointee.gr_mem
        while let pointer = member?.pointee {
            if String(cString: pointer) == user { return true }
            member = member?.advanced(by: 1)
        }
        return false
    }

    /// A non-root user reaches `D/hN/docker.sock` only if every folder from `/` to `D` is
    /// searchable by others.
    private func checkSearchable(for user: String) throws {
        var path = directory
        while path != "/" && !path.isEmpty {
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & 0o001 == 0 {
                throw LabError(
                    step: "let \(user) reach the lab's Engine sockets",
                    reason: "\(path) is not searchable by other users (mode \(String(info.st_mode & 0o777, radix: 8)))",
                    hint: "use a lab directory under /tmp, or `chmod o+x \(path)`")
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    /// Removes what ``prepareUser(_:state:shell:)`` added, unless another live lab uses the user.
    static func removeLabUser(state: LabState, shell: LabShell) async {
        let group = LabOptions.dockerGroup
        let user = state.createdUser ?? state.addedToGroup
        if let user, let other = otherLiveLab(using: user, besides: state.id) {
            shell.logger.notice("lab \(state.id): keeping user \(user), lab \(other) still uses it")
            return
        }
        if let user = state.createdUser, getpwnam(user) != nil {
            await shell.attempt(["userdel", user])
        }
        if let user = state.addedToGroup, isMember(user, of: group) {
            await shell.attempt(["gpasswd", "-d", user, group])
        }
        if let created = state.createdGroup, getgrnam(created) != nil {
            await shell.attempt(["groupdel", created])
        }
    }

    /// The id of another lab with live daemons whose SSH user is `user`.
    static func otherLiveLab(using user: String, besides id: String) -> String? {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/run/crossnet")) ?? [] where name != id {
            guard let directory = try? String(contentsOfFile: "/run/crossnet/\(name)/directory", encoding: .utf8),
                let other = LabState.load(directory: directory.trimmingCharacters(in: .whitespacesAndNewlines)),
                other.options?.sshUser == user, isAnyDaemonAlive(other)
            else { continue }
            return name
        }
        return nil
    }
}
