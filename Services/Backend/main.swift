import Glibc
import SkalarRuntime

exit(BackendCommand.main(arguments: CommandLine.arguments))
