/// Crossnet's own version, recorded in every report.
public enum CrossnetVersion {
    public static let current = "0.1.0"
}
