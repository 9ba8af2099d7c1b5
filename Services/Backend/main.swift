import SkalarRuntime

BackendCommand.runAsMain()
