import Testing
@testable import Crossnet
