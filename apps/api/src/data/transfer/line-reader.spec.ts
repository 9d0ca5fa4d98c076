import { PayloadTooLarge, ValidationFailed } from '@backlot/http';
import { type Line, readLines } from './line-reader';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part);
}

async function collect(source: AsyncIterable<Buffer>, maxLineBytes = 1_000, maxTotalBytes?: number): Promise<Line[]> {
  const lines: Line[] = [];
  for await (const line of readLines(source, { maxLineBytes, maxTotalBytes })) lines.push(line);
  return lines;
}

describe('readLines', () => {
  it('numbers lines and keeps each terminator, including a last line without one', async () => {
    const lines = await collect(chunks('a\nbb\r\nccc'));
    expect(lines).toEqual([
      { number: 1, text: 'a', ending: '\n', bytes: 2 },
      { number: 2, text: 'bb', ending: '\r\n', bytes: 4 },
      { number: 3, text: 'ccc', ending: '', bytes: 3 },
    ]);
  });

  it('joins lines split across chunks, also between CR and LF and inside a multi-byte character', async () => {
    const euro = Buffer.from('€');
    const lines = await collect(chunks('ab', 'c\r', '\nx', euro.subarray(0, 1), euro.subarray(1), 'y\n'));
    expect(lines.map((l) => [l.text, l.ending])).toEqual([
      ['abc', '\r\n'],
      ['x€y', '\n'],
    ]);
  });

  it('keeps empty lines (the formats decide what they mean) and yields nothing for an empty body', async () => {
    expect((await collect(chunks('\n\nz\n'))).map((l) => l.text)).toEqual(['', '', 'z']);
    expect(await collect(chunks())).toEqual([]);
  });

  it('drops a UTF-8 byte order mark at the start', async () => {
    expect((await collect(chunks('\ufeffname\nx')))[0].text).toBe('name');
  });

  it('refuses a line longer than the limit without waiting for its end', async () => {
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) yield Buffer.alloc(100, 'x');
    }
    await expect(collect(endless(), 250)).rejects.toThrow(PayloadTooLarge);
    await expect(collect(chunks('ok\n', 'x'.repeat(11), '\n'), 10)).rejects.toThrow('Line 2 is longer than 10 bytes.');
  });

  it('refuses an upload beyond the total limit', async () => {
    await expect(collect(chunks('a\n'.repeat(10), 'a\n'.repeat(10)), 10, 30)).rejects.toThrow(PayloadTooLarge);
  });

  it('refuses text that is not UTF-8, naming the line', async () => {
    const error = await collect(chunks('ok\n', Buffer.from([0x61, 0xff, 0x0a]))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).errors[0].path).toBe('line 2');
  });
});
