import Glibc
import SkalarRuntime

exit(FrontendCommand.main(arguments: CommandLine.arguments))
