#!/usr/bin/env bash
# bench-http.sh measures requests/s for a cached 50-entry Atom output served
# by feedmill, beside nginx serving the same bytes from disk, with wrk on
# 127.0.0.1 in the same run: identity, gzip and 304 answers, and the ratio
# feedmill/nginx for each (the goal is at least 0.8).
#
#   scripts/bench-http.sh [DURATION]     default 5s per measure; needs nginx and wrk
#   ROUNDS=3                              rounds per case; the ratio is their median
#   NGINX_SENDFILE=off                    compare with nginx copying bodies as feedmill does
#                                         (scripts/deps.sh nginx wrk installs them)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5s}
rounds=${ROUNDS:-3}
threads=${WRK_THREADS:-2}
conns=${WRK_CONNECTIONS:-32}

scripts/deps.sh nginx wrk
nginx=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/feedmill" ./cmd/feedmill

# A feed of 50 items of about a kilobyte each, as news wires publish them.
{
	echo '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench wire</title><link>https://wire.example/</link><description>bench</description>'
	for i in $(seq 1 50); do
		para=$(printf 'Negotiators met again on day %d to discuss a ceasefire, officials said, as strikes continued. ' $(seq 1 10))
		printf '<item><guid>https://wire.example/story/%d</guid><link>https://wire.example/story/%d</link><title>Story %d: talks resume</title><pubDate>%s</pubDate><description><![CDATA[<p>%s</p>]]></description></item>\n' \
			"$i" "$i" "$i" "$(date -u -d "2026-02-01 +$i hours" '+%a, %d %b %Y %H:%M:%S +0000')" "$para"
	done
	echo '</channel></rss>'
} >"$work/wire.xml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fport=$(free_port)
nport=$(free_port)
cat >"$work/config.yaml" <<YAML
database: bench.db
listen: 127.0.0.1:$fport
feeds:
  - name: wire
    url: file:wire.xml
outputs:
  - name: bench
    limit: 50
YAML
"$work/feedmill" --config "$work/config.yaml" --log-level error fetch >/dev/null
"$work/feedmill" --config "$work/config.yaml" --log-level error serve --no-initial-poll >"$work/serve.log" 2>&1 &
pids+=($!)
furl="http://127.0.0.1:$fport/feeds/bench.atom"
for _ in $(seq 1 100); do curl -sf -o /dev/null "$furl" && break; sleep 0.1; done

# nginx serves the very bytes feedmill serves, and their gzip (gzip_static).
mkdir -p "$work/www/feeds" "$work/nginx"
curl -sf "$furl" -o "$work/www/feeds/bench.atom"
gzip -9 -k "$work/www/feeds/bench.atom"
cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
	access_log off;
	types { application/atom+xml atom; }
	sendfile ${NGINX_SENDFILE:-on};
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $work/nginx;
	proxy_temp_path $work/nginx;
	fastcgi_temp_path $work/nginx;
	uwsgi_temp_path $work/nginx;
	scgi_temp_path $work/nginx;
	server {
		listen 127.0.0.1:$nport;
		root $work/www;
		gzip_static on;
		gzip_vary on;
		add_header Cache-Control "public, max-age=900";
	}
}
NGINX
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
nurl="http://127.0.0.1:$nport/feeds/bench.atom"
for _ in $(seq 1 100); do curl -sf -o /dev/null "$nurl" && break; sleep 0.1; done

cmp <(curl -sf "$furl") <(curl -sf "$nurl") || { echo "nginx and feedmill serve different bytes" >&2; exit 1; }
ftag=$(curl -sfI "$furl" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
ntag=$(curl -sfI "$nurl" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ftag" "$furl")" = 304 ] || { echo "feedmill gives no 304" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ntag" "$nurl")" = 304 ] || { echo "nginx gives no 304" >&2; exit 1; }

fpid=${pids[0]}
npid=${pids[1]}
ticks=$(getconf CLK_TCK)
cpu() { # PID...: CPU time used by the processes and their children (nginx workers), in clock ticks
	local p t=0
	for p in "$@" $(pgrep -P "$1" || true); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
measure() { # PID URL [HEADER]: requests/s and the server's CPU microseconds per request
	local args=(-t"$threads" -c"$conns" -d"$duration") before after out
	[ -n "${3:-}" ] && args+=(-H "$3")
	before=$(cpu "$1")
	out=$(wrk "${args[@]}" "$2")
	after=$(cpu "$1")
	awk -v used=$((after - before)) -v hz="$ticks" '
		/ requests in /{n=$1} /^Requests\/sec:/{r=$2}
		END{printf "%s %.1f\n", r, n ? used * 1e6 / hz / n : 0}' <<<"$out"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

echo "50-entry Atom output: $(wc -c <"$work/www/feeds/bench.atom") bytes, gzip $(wc -c <"$work/www/feeds/bench.atom.gz") bytes; wrk -t$threads -c$conns -d$duration on $(nproc) CPUs, $rounds rounds"
# Each round measures both servers back to back, in alternating order, so
# that a change of load on the machine hits both alike; each ratio is the
# median of the rounds'. req/s depends on the CPU share the machine leaves
# the servers; CPU time per request much less, so on a busy machine the
# cpu ratio (nginx's CPU per request / feedmill's) is the steadier measure
# of the same thing.
printf '%-9s %10s %10s %6s %10s %10s %6s   %s\n' case feedmill nginx ratio "fm us/req" "ng us/req" cpu "ratio per round (req/s, cpu)"
for c in identity gzip 304; do
	case $c in
	identity) fh=""; nh="" ;;
	gzip) fh="Accept-Encoding: gzip"; nh="$fh" ;;
	304) fh="If-None-Match: $ftag"; nh="If-None-Match: $ntag" ;;
	esac
	fs=() ns=() rs=() fc=() nc=() cs=() rounds_out=()
	for i in $(seq 1 "$rounds"); do
		if [ $((i % 2)) -eq 1 ]; then
			read -r f fu < <(measure "$fpid" "$furl" "$fh"); read -r n nu < <(measure "$npid" "$nurl" "$nh")
		else
			read -r n nu < <(measure "$npid" "$nurl" "$nh"); read -r f fu < <(measure "$fpid" "$furl" "$fh")
		fi
		r=$(awk -v f="$f" -v n="$n" 'BEGIN{printf "%.2f", f/n}')
		cr=$(awk -v f="$fu" -v n="$nu" 'BEGIN{printf "%.2f", (f > 0 ? n/f : 0)}')
		fs+=("$f") ns+=("$n") rs+=("$r") fc+=("$fu") nc+=("$nu") cs+=("$cr") rounds_out+=("$r,$cr")
	done
	printf '%-9s %10s %10s %6s %10s %10s %6s   %s\n' "$c" "$(median "${fs[@]}")" "$(median "${ns[@]}")" "$(median "${rs[@]}")" \
		"$(median "${fc[@]}")" "$(median "${nc[@]}")" "$(median "${cs[@]}")" "${rounds_out[*]}"
done
