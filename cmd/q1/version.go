package main

import (
	"runtime/debug"

	"github.com/cosmos/cosmos-sdk/version"
)

// init fills the SDK's version fields (which `q1 version` prints) when the
// build did not set them with -ldflags: from the module version Go records,
// else the VCS revision of the checkout it was built from, so `q1 version`
// never prints an empty line.
func init() {
	version.Name, version.AppName = "quantum1net", "q1"
	if version.Version != "" {
		return
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		version.Version = "unknown"
		return
	}
	version.Version = buildVersion(info)
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && version.Commit == "" {
			version.Commit = s.Value
		}
	}
}

// buildVersion names a build: its module version when it was built from a
// tagged module, else "devel" with the revision and whether the tree had
// uncommitted changes.
func buildVersion(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	v := "devel"
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += "-" + rev
	}
	if dirty {
		v += "-dirty"
	}
	return v
}
