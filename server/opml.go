package server

import (
	"net/http"

	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/opml"
)

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
