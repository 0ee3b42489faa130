#!/bin/sh
# make run: build the 衢州 demo database on first use, then serve it.
set -eu
db=$1
listen=$2
if [ ! -f "$db" ]; then
  build/tiaokuai demo --db "$db"
fi
echo
echo "tiaokuai 条块：http://$listen/"
echo "  工作台 http://$listen/console/   移动端 http://$listen/mobile/   大屏 http://$listen/screen/"
echo "演示账号（仅供演示，勿在生产环境使用；Ctrl-C 停止服务）："
# The name goes last: its width on a terminal is not its length in bytes.
tail -n +2 data/demo-users.csv | while IFS=, read -r user role unit name password; do
  printf '  %-10s %-20s %-20s %s\n' "$user" "$password" "$role" "$name"
done
echo
exec build/tiaokuai serve --db "$db" --listen "$listen"
