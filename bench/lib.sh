# Sourced by the bench scripts. make_workspace NAME: a new temporary directory in $work, removed
# on exit together with the processes whose ids the script adds to `pids`. free_port, wait_port:
# finding a free port on 127.0.0.1 and waiting for a server on one.

pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

make_workspace() {
  work=$(mktemp -d "/tmp/sluice-$1.XXXXXX")
  trap cleanup EXIT
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (at most 20 s) until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}
