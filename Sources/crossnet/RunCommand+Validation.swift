import ArgumentParser
import Crossnet
import Foundation

extension RunCommand {
    /// Checks every flag value before anything starts (swift-argument-parser calls this right
    /// after parsing); a failure exits 2 through ``CrossnetCommand/main()``.
    func validate() throws {
        if let filter {
            do {
                try SuiteFilter.validate(filter)
            } catch let error as InputError {
                throw ValidationError(error.message)
            }
        }
        guard tolerance.isFinite, (0...1000).contains(tolerance) else {
            throw ValidationError("--tolerance must be a percentage from 0 to 1000, got \(tolerance)")
        }
        if let push {
            let url = URLComponents(string: push)
            guard let scheme = url?.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = url?.host, !host.isEmpty
            else {
                throw ValidationError("--push takes an http(s) URL such as http://pushgateway:9091, got \"\(Redaction.url(push))\"")
            }
        }
        do {
            _ = try measurementEnvironment()
        } catch let error as InputError {
            throw ValidationError(error.message)
        }
    }
}
