import Glibc
import SkalarRuntime

if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "serve" {
    exit(LoadgenServerCommand.main(arguments: [CommandLine.arguments[0]] + CommandLine.arguments.dropFirst(2)))
}
LoadgenCommand.runAsMain()
