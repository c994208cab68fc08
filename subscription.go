package feedmill

import "time"

// Subscription is a WebSub subscriber's verified subscription to one topic
// (an output's self URL) of feedmill's builtin hub.
type Subscription struct {
	// Topic is the self URL of the output subscribed to, with the key of a
	// private output.
	Topic string
	// Callback is where the hub delivers new content; with Topic it
	// identifies the subscription.
	Callback string
	// Secret, when not "", keys the HMAC signature of every delivery.
	Secret string
	// Expires is the end of the lease; the subscription is dropped after.
	Expires time.Time
}
