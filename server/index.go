package server

import (
	"html/template"
	"net/http"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/opml"
)

// The index page is public: private outputs show without their key.
var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>feedmill</title></head>
<body><h1>feedmill</h1>
<h2>Outputs</h2>
<p><a href="/opml">OPML</a> of the public outputs, to subscribe to all of them at once.</p>
<ul>{{range .Outputs}}<li>{{.Title}} ({{.Name}}){{if .Private}}: private, its URLs need ?key=…{{else}}:
<a href="{{.PublicURL "rss"}}">RSS</a> · <a href="{{.PublicURL "atom"}}">Atom</a> · <a href="{{.PublicURL "json"}}">JSON Feed</a>{{end}}</li>
{{else}}<li>No outputs configured.</li>{{end}}</ul>
<h2>Feeds</h2>
<ul>{{range .Feeds}}<li>{{.Name}}: {{if .Status}}{{.Status}}{{else}}not fetched yet{{end}}, {{.Items}} items{{if .LastError}} — {{.LastError}}{{end}}</li>
{{else}}<li>No feed fetched yet.</li>{{end}}</ul>
</body></html>
`))

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	feeds, err := s.store.Feeds(r.Context())
	if err != nil {
		s.log.Error("index", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		Outputs []Output
		Feeds   []feedmill.FeedState
	}{s.cfg.Outputs, feeds}
	if err := indexTmpl.Execute(w, data); err != nil {
		s.log.Error("index", "err", err)
	}
}

// handleOPML lists the public outputs (in Atom) so that a reader can
// subscribe to all of them in one import.
func (s *Server) handleOPML(w http.ResponseWriter, r *http.Request) {
	var list []opml.Outline
	for _, o := range s.cfg.Outputs {
		if o.Private() {
			continue
		}
		title := o.Title
		if title == "" {
			title = o.Name
		}
		list = append(list, opml.Outline{Text: title, Title: title, Type: "rss",
			XMLURL: o.PublicURL(feedgen.Atom), HTMLURL: o.BaseURL + "/"})
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	if err := opml.Write(w, "feedmill outputs", list); err != nil {
		s.log.Error("opml", "err", err)
	}
}
