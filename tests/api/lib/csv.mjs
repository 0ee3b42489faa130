// csv.mjs - CSV text as rows of fields, for the tests that read the data files and
// the server's exports: quoted fields with "" escapes, \n or \r\n lines.
export function csvRecords(text) {
  const rows = [];
  let row = [];
  let v = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { v += '"'; i++; } else if (c === '"') quoted = false; else v += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(v); v = ''; } else if (c === '\n') { row.push(v); rows.push(row); row = []; v = ''; } else if (c !== '\r') v += c;
  }
  if (v || row.length) { row.push(v); rows.push(row); }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}
