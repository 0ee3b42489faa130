#!/bin/sh
# make run: build the 衢州 demo database on first use, then serve it.
set -eu
db=$1
listen=$2
if [ ! -f "$db" ]; then
  build/tiaokuai demo --db "$db"
fi
echo
echo "tiaokuai 条块：http://$listen/    工作台 http://$listen/console/    （Ctrl-C 停止）"
echo "演示账号（仅供演示，勿在生产环境使用）："
tail -n +2 data/demo-users.csv | while IFS=, read -r user role unit name password; do
  printf '  %-10s %-18s %-28s 密码 %s\n' "$user" "$role" "$name" "$password"
done
echo
exec build/tiaokuai serve --db "$db" --listen "$listen"
