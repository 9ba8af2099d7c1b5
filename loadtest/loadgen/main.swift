import SkalarRuntime

LoadgenCommand.runAsMain()
