package stories

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/topics"
)

// LeadWords is how many words of an item's content count as its lead. The
// lead is what different sources share about an event; the rest of a long
// article drifts into background that other stories share too.
const LeadWords = 60

// maxTitleTokens bounds the title set kept in a Signature.
const maxTitleTokens = 24

// stopwordText lists function words and newsroom boilerplate in the scripts
// feedmill meets most. They are dropped because they make unrelated items
// look alike, most of all in short titles. The words are folded with
// topics.Tokenize at start-up, so they are written here as people write them.
const stopwordText = `
a an the of to in on at by for from with without into onto over under after before about
against between during through across up down out off as and or but nor if than then so
is are was were be been being am do does did done has have had having will would shall
should can could may might must not no yes it its it's this that these those there here
he she they we you i me him her them us our your their his my mine who whom whose which what
when where why how all any both each few more most other some such only own same too very
just also again ever now new says said say tells told amid after year years day days week
live latest update updates watch video videos photos pictures news breaking report reports
one two first last get gets got make makes made could like via according
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был
него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней
для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот
того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда
зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас
про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть
том нельзя такой им более всегда конечно всю между это также заявил
के का की को में है हैं से ने पर और एक यह वह इस उस कि जो तो भी था थी थे हो गया गई गए कर
करने किया लिए साथ बाद तक ही या अब कुछ नहीं हुआ हुई होगा रहा रही रहे वाले वाली बहुत सबसे
अपने अपनी जब तब क्या कैसे क्यों कौन दिया दी लेकर बड़ा बड़ी
এ ও এর এই ওই সে তার তিনি তারা করে করা করেন করেছে করেছেন হয় হয়ে হয়েছে হবে ছিল ছিলেন
থেকে জন্য সঙ্গে সাথে নিয়ে দিয়ে পর আর না নেই বলে বলেন এবং কিন্তু যে যা কি কোন এক একটি
আজ গত মধ্যে উপর হলে হচ্ছে রয়েছে দিকে বিভিন্ন তবে অনেক শুধু সব
`

var stopwords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range topics.Tokenize(stopwordText) {
		m[w] = true
	}
	return m
}()

// Tokens are the folded words of an item that the grouping compares: those
// of the title, and those of the title followed by the lead of the content.
type Tokens struct {
	Title []string
	Text  []string
}

// Tokenize folds an item's title and the lead of its content (sanitized
// HTML, as stored) into words: Unicode words of any script, lower-cased and
// with Latin, Greek and Cyrillic diacritics removed, as topics.Tokenize does,
// without stopwords.
func Tokenize(title, content string) Tokens {
	title = normalize.Title(title)
	lead := leadText(stripDateline(normalize.Text(htmlPrefix(content, maxLeadHTML))), LeadWords)
	t := Tokens{Title: contentWords(topics.Tokenize(title))}
	t.Text = append(t.Text, t.Title...)
	t.Text = append(t.Text, contentWords(topics.Tokenize(lead))...)
	return t
}

// maxLeadHTML bounds the HTML read for the lead: LeadWords words fit in
// far less, and full-content feeds carry whole articles.
const maxLeadHTML = 16 << 10

// htmlPrefix cuts s to at most n bytes, on a rune boundary. A tag cut in
// two at the end is dropped by normalize.Text with the rest of the markup.
func htmlPrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// leadText returns the first n words of s (split on white space).
func leadText(s string, n int) string {
	inWord := false
	for i, r := range s {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			if n == 0 {
				return s[:i]
			}
			n--
			inWord = true
		}
	}
	return s
}

// contentWords drops stopwords in place, and single letters in scripts that
// write words with several (an initial, a stray "s").
func contentWords(ws []string) []string {
	out := ws[:0]
	for _, w := range ws {
		if stopwords[w] || len(w) == 1 && w[0] < '0' || len(w) == 1 && w[0] > '9' && w[0] < 0x80 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stemLen is the length, in letters, to which Latin-script words are cut:
// truncation is a crude stemmer, but it folds besiege, besieged and
// besieging, or crash and crashes, with no language rules to maintain.
const stemLen = 5

// stem cuts a word of Latin letters to its first stemLen letters. Words
// with digits and other scripts are kept whole.
func stem(w string) string {
	if len(w) <= stemLen {
		return w
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return w
		}
	}
	return w[:stemLen]
}

// hasDigit reports whether a word contains a digit of any script: such
// title words (dates, counts, scores) tell apart recurring items that share
// all else.
func hasDigit(w string) bool {
	return strings.IndexFunc(w, unicode.IsDigit) >= 0
}

// datelineRE matches a dateline opening a lead: a place in capitals, maybe
// a date and an agency, then a dash ("TEHRAN, Aug. 12 (MNA) – ", "LONDON
// (Reuters) - ", "NEW DELHI: "). Every item of a source starts alike, so
// its words would make the source's unrelated items look like one story.
var datelineRE = regexp.MustCompile(`^\p{Lu}[\p{Lu}\p{M} .'-]{1,30}\p{Lu}(,[^–—:()-]{1,20})?\s*(\([^()]{1,30}\))?\s*(\s[-–—]|:)\s`)

// stripDateline removes a dateline from the start of a lead.
func stripDateline(s string) string {
	if loc := datelineRE.FindStringIndex(s); loc != nil {
		return s[loc[1]:]
	}
	return s
}
