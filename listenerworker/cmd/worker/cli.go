package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
)

// command is what the command line asks for.
type command int

const (
	cmdRun command = iota
	cmdHelp
	cmdVersion
	cmdDumpConfig
	cmdDumpSchema
	cmdReady
)

// usage is printed by --help, and on stderr after an invalid command line.
const usage = `Usage: worker [-h|--help] [-v|--version] [--dump-config | --dump-schema | --ready]

pgrest-lambda listener worker: keeps the schema cache in Redis (REDIS_URL)
current for the request functions. Configuration comes from the environment
(PGRST_* variables and REDIS_URL, see the README); with no option it runs
until SIGINT or SIGTERM.

Options:
  -h, --help       Show this help and exit
  -v, --version    Show the version and exit
  --dump-config    Print the effective configuration, secrets redacted, and exit
  --dump-schema    Build the schema cache from the database, print it as JSON and exit
  --ready          Exit 0 if the admin server (PGRST_ADMIN_SERVER_PORT) of a
                   running worker answers /ready with 200, 1 otherwise
`

// parseArgs reads the command line (without the program name): at most
// one option, as PostgREST's --dump-config and --dump-schema exclude each
// other. Anything else is an error.
func parseArgs(args []string) (command, error) {
	cmd := cmdRun
	for _, a := range args {
		var c command
		switch a {
		case "-h", "--help":
			return cmdHelp, nil
		case "-v", "--version":
			c = cmdVersion
		case "--dump-config":
			c = cmdDumpConfig
		case "--dump-schema":
			c = cmdDumpSchema
		case "--ready":
			c = cmdReady
		default:
			return 0, fmt.Errorf("invalid argument %q", a)
		}
		if cmd != cmdRun && cmd != c {
			return 0, fmt.Errorf("invalid argument %q: only one option at a time", a)
		}
		cmd = c
	}
	return cmd, nil
}

// version is set at build time with -ldflags "-X main.version=…"; when
// empty, the module version or VCS revision recorded by go build is used.
var version = "" //nolint:gochecknoglobals // set by the linker

// versionString names the worker's version and the PostgREST version it
// follows.
func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "" {
		v = info.Main.Version
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 && (v == "" || v == "(devel)") {
				v = s.Value[:12]
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("pgrest-lambda listener worker %s, PostgREST %s", v, openapi.Version)
}

// printVersion writes the version line to w.
func printVersion(w io.Writer) { fmt.Fprintln(w, versionString()) }
