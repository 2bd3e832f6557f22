import ArgumentParser
import Crossnet
import Foundation

/// `crossnet claims`: the claims catalogue as a Markdown table (README's "What it checks").
struct ClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "Print every claim Crossnet checks, per driver, as a Markdown table.",
        discussion: """
            Each row is one claim of the catalogue the suites run: source, target, method \
            (ping by IP or name, DNS lookup, TCP connect, interface/route inspection), expected \
            outcome and why. A negative claim passes only on evidence of unreachability (no \
            route, timed out, refused, name not found); an inconclusive probe fails any claim.

            EXAMPLES:
              crossnet claims                    # the whole catalogue
              crossnet claims --driver overlay   # one driver's claims
            """)

    @Option(name: .long, help: "Only this driver's claims (bridge, user-bridge, compose, host, none, overlay, macvlan).")
    var driver: String?

    func validate() throws {
        if let driver, DriverID(rawValue: driver) == nil {
            throw ValidationError("--driver must be one of \(DriverID.allCases.map(\.rawValue).joined(separator: ", ")), got '\(driver)'")
        }
    }

    func run() throws {
        let claims = driver.flatMap(DriverID.init(rawValue:)).map { ClaimCatalogue.claims(for: $0) } ?? ClaimCatalogue.all
        print(ClaimCatalogue.markdown(claims), terminator: "")
    }
}
