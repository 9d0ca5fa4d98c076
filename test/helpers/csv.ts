/** Test-only: a strict RFC 4180 reader (CRLF records, quoted fields), to read CSV output back. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i += 1;
      while (!(text[i] === '"' && text[i + 1] !== '"')) {
        field += text[i];
        i += text[i] === '"' ? 2 : 1;
      }
      i += 1;
    }
    while (i < text.length && text[i] !== ',' && text[i] !== '\r') field += text[i++];
    record.push(field);
    field = '';
    if (text[i] === ',') i += 1;
    else {
      records.push(record);
      record = [];
      i += 2;
    }
  }
  return records;
}
