package feedgen

import (
	"encoding/json"
	"testing"
)

// TestHubLinks checks what a WebSub subscriber discovers in each format:
// the hub beside the self link (Atom link, RSS atom:link, JSON Feed hubs),
// and nothing at all when no hub is configured.
func TestHubLinks(t *testing.T) {
	const hub = "https://hub.example/websub"
	for _, withHub := range []bool{true, false} {
		o := testOutput()
		if withHub {
			o.Hub = hub
		}
		for _, f := range Formats {
			b, err := Render(o, testItems(), f)
			if err != nil {
				t.Fatal(err)
			}
			links := map[string][]string{} // rel → hrefs
			switch f {
			case Atom:
				for _, l := range parseNode(t, b).all("link") {
					links[l.attr("rel")] = append(links[l.attr("rel")], l.attr("href"))
				}
			case RSS:
				for _, l := range parseNode(t, b).one("channel").all("link") {
					if l.XMLName.Space == atomNS {
						links[l.attr("rel")] = append(links[l.attr("rel")], l.attr("href"))
					}
				}
			case JSON:
				var doc struct {
					FeedURL string `json:"feed_url"`
					Hubs    []struct{ Type, URL string }
				}
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatal(err)
				}
				links["self"] = []string{doc.FeedURL}
				for _, h := range doc.Hubs {
					if h.Type != "WebSub" {
						t.Errorf("json: hub type %q, want WebSub", h.Type)
					}
					links["hub"] = append(links["hub"], h.URL)
				}
			}
			if len(links["self"]) != 1 || links["self"][0] != o.URL(f) {
				t.Errorf("%s: self links %v, want [%s]", f, links["self"], o.URL(f))
			}
			switch {
			case withHub && (len(links["hub"]) != 1 || links["hub"][0] != hub):
				t.Errorf("%s: hub links %v, want [%s]", f, links["hub"], hub)
			case !withHub && len(links["hub"]) != 0:
				t.Errorf("%s without a hub: hub links %v", f, links["hub"])
			}
		}
	}
}
