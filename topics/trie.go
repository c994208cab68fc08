package topics

// trie maps folded tokens to term ids, for whole words and for prefix
// wildcards at once: one walk per document token, and most tokens leave it
// after a byte or two. Children are dense ranges of bytes, so a step is an
// index, not a search.
type trie struct {
	nodes       []trieNode
	edges       []int32 // child node index by byte - lo; 0 means none
	hasPrefixes bool
}

type trieNode struct {
	off    int32 // into edges
	exact  int32 // term id for a whole word ending here, or -1
	prefix int32 // term id for a wildcard ending here, or -1
	n      uint16
	lo     uint8
	flags  uint8 // non-zero when exact or prefix is set
}

type buildNode struct {
	kids          map[byte]*buildNode
	exact, prefix int32
}

func buildTrie(words []qword) *trie {
	root := &buildNode{exact: -1, prefix: -1}
	t := &trie{}
	for id, w := range words {
		n := root
		for i := 0; i < len(w.text); i++ {
			c := w.text[i]
			k := n.kids[c]
			if k == nil {
				if n.kids == nil {
					n.kids = make(map[byte]*buildNode)
				}
				k = &buildNode{exact: -1, prefix: -1}
				n.kids[c] = k
			}
			n = k
		}
		if w.prefix {
			n.prefix = int32(id)
			t.hasPrefixes = true
		} else {
			n.exact = int32(id)
		}
	}
	// Breadth first, so that the root is node 0 and 0 can mean "no child".
	queue := []*buildNode{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		tn := trieNode{exact: n.exact, prefix: n.prefix, off: int32(len(t.edges))}
		if n.exact >= 0 || n.prefix >= 0 {
			tn.flags = 1
		}
		if len(n.kids) > 0 {
			lo, hi := byte(255), byte(0)
			for c := range n.kids {
				lo, hi = min(lo, c), max(hi, c)
			}
			tn.lo, tn.n = lo, uint16(hi-lo)+1
			base := len(t.edges)
			t.edges = append(t.edges, make([]int32, tn.n)...)
			// Children are numbered in queue order.
			for c := int(lo); c <= int(hi); c++ {
				if k := n.kids[byte(c)]; k != nil {
					t.edges[base+c-int(lo)] = int32(len(t.nodes) + len(queue) + 1)
					queue = append(queue, k)
				}
			}
		}
		t.nodes = append(t.nodes, tn)
	}
	return t
}
