#!/bin/sh
# make run: create the database on first use, then serve it.
set -eu
db=$1
listen=$2
if [ ! -f "$db" ]; then
  build/tiaokuai init --db "$db"
fi
echo "tiaokuai: http://$listen/  (Ctrl-C 停止)"
exec build/tiaokuai serve --db "$db" --listen "$listen"
