import Foundation
import SwitchboardDaemon

exit(SwitchboardCommand.main(Array(CommandLine.arguments.dropFirst())))
