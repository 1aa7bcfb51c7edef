public enum SwitchboardVersion { public static let string = "0.1.0" }
