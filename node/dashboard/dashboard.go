// Package dashboard is the web dashboard every node serves at / on its
// --http listener (never on the gateway, so no service's origin shares it):
// static HTML, CSS and JavaScript modules embedded in the binary, that read
// the node's /v1/ API and redraw by polling. Nothing is fetched from
// anywhere else, so it works with no internet access. It also holds the
// dashboard's sign-in (auth.go).
package dashboard

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// Assets returns the embedded files, rooted at the dashboard's /.
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// Handler serves the dashboard: each embedded file at its path, and
// index.html for / and for any other path without a file extension (pages
// are routed in the browser by the URL's #fragment, so only / is linked).
func Handler() http.Handler {
	files := Assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the dashboard only answers GET", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		ext := path.Ext(name)
		if name == "" || ext == "" {
			name, ext = "index.html", ".html"
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			http.Error(w, "the dashboard has no file /"+name, http.StatusNotFound)
			return
		}
		ct := contentTypes[ext]
		if ct == "" {
			ct = mime.TypeByExtension(ext)
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// Only this node's own scripts, styles and API; no inline script.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	})
}
