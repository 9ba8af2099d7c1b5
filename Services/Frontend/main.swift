import SkalarRuntime

FrontendCommand.runAsMain()
