# Shared by the benchmarks that load nginx on loopback (sourced, not run):
#   need_nginx_and_wrk          installs both from Debian when missing
#   free_port                   prints a free loopback port
#   start_nginx DIR EXTRA       one worker serving DIR/www on a free port, with EXTRA lines
#                               in its http block; sets NGINX_PORT and NGINX_PID
need_nginx_and_wrk() {
  if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx wrk >/dev/null
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_nginx() {
  local dir="$1" extra="${2:-}"
  NGINX_PORT="$(free_port)"
  mkdir -p "$dir/www" "$dir/logs"
  chmod -R a+rX "$dir"   # nginx's worker runs as an unprivileged user
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  $extra
  client_body_temp_path $dir/logs;
  proxy_temp_path $dir/logs;
  fastcgi_temp_path $dir/logs;
  uwsgi_temp_path $dir/logs;
  scgi_temp_path $dir/logs;
  server { listen 127.0.0.1:$NGINX_PORT; root $dir/www; }
}
NGINX
  "$(command -v nginx || echo /usr/sbin/nginx)" -c "$dir/nginx.conf" -p "$dir" &
  NGINX_PID=$!
}
