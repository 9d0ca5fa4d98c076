import { csvLine, PayloadTooLarge } from '@backlot/http';
import { CsvError, type CsvRecord, parseCsvRecord, readCsvRecords } from './csv-reader';
import { readLines } from './line-reader';

async function records(text: string, maxRecordBytes = 1_000): Promise<CsvRecord[]> {
  async function* body(): AsyncGenerator<Buffer> {
    // One byte at a time: records must not depend on how the body is chunked.
    for (const byte of Buffer.from(text)) yield Buffer.from([byte]);
  }
  const out: CsvRecord[] = [];
  for await (const record of readCsvRecords(readLines(body(), { maxLineBytes: 10_000 }), maxRecordBytes)) out.push(record);
  return out;
}

describe('parseCsvRecord', () => {
  it('reads plain, quoted and empty cells', () => {
    expect(parseCsvRecord('a,"b,c","d ""e""",,"",f')).toEqual(['a', 'b,c', 'd "e"', '', '', 'f']);
    expect(parseCsvRecord('')).toEqual(['']);
    expect(parseCsvRecord('a,')).toEqual(['a', '']);
  });

  it('round-trips what csvLine (@backlot/http) writes', () => {
    const cells = ['x', 'a,b', '"quoted"', 'multi\r\nline', '', ' spaced '];
    expect(parseCsvRecord(csvLine(cells).slice(0, -2))).toEqual(cells);
  });

  it('rejects malformed quoting', () => {
    expect(() => parseCsvRecord('a,"open')).toThrow(CsvError);
    expect(() => parseCsvRecord('"closed"tail,b')).toThrow('cell 1 has text after its closing quote');
    expect(() => parseCsvRecord('ab"c,d')).toThrow('cell 1 has a quote but is not quoted');
  });
});

describe('readCsvRecords', () => {
  it('keeps line breaks inside quoted cells and numbers records by the line they start on', async () => {
    const text = 'title,notes\r\n"a","one\r\ntwo"\r\nb,"x\n""y""\n"\r\n\r\nc,z';
    const read = await records(text);
    expect(read.map((r) => r.line)).toEqual([1, 2, 4, 8]);
    expect(read.map((r) => parseCsvRecord(r.text))).toEqual([
      ['title', 'notes'],
      ['a', 'one\r\ntwo'],
      ['b', 'x\n"y"\n'],
      ['c', 'z'],
    ]);
  });

  it('does not treat a stray quote in an unquoted cell as opening a multi-line cell', async () => {
    const read = await records('a"b,c\nd,e\n');
    expect(read.map((r) => r.text)).toEqual(['a"b,c', 'd,e']);
  });

  it('passes an unterminated quoted cell at the end on, for the parser to report', async () => {
    const [last] = (await records('"never closed\nmore')).slice(-1);
    expect(() => parseCsvRecord(last.text)).toThrow(CsvError);
  });

  it('refuses a quoted cell that grows beyond the record limit', async () => {
    await expect(records(`"${'x\n'.repeat(100)}`, 50)).rejects.toThrow(PayloadTooLarge);
  });
});
