import { cleanOriginalName, FILE_REF_SCHEMA, fileKey, storedName, thumbnailKey } from './file-ref';

describe('storedName', () => {
  it('keeps a readable, safe base, adds 10 random characters and the extension of the recognised type', () => {
    expect(storedName('Holiday Photo (1).JPG', 'jpg')).toMatch(/^holiday_photo_1_[a-z0-9]{10}\.jpg$/);
    expect(storedName('Crème brûlée.png', 'png')).toMatch(/^creme_brulee_[a-z0-9]{10}\.png$/);
  });

  it('turns hostile names into plain ones', () => {
    for (const hostile of ['../../etc/passwd', '..\\..\\win.ini', 'a\u0000b.exe', '\u202Egnp.exe', '....', '', '%2e%2e%2f'])
      expect(storedName(hostile, 'bin')).toMatch(/^[a-z0-9][a-z0-9_-]{0,80}_[a-z0-9]{10}\.bin$/);
    expect(storedName('x'.repeat(500), undefined)).toMatch(/^x{80}_[a-z0-9]{10}$/);
  });

  it('makes every name unique and valid for the stored schema', () => {
    const names = new Set(Array.from({ length: 1_000 }, () => storedName('a.txt', 'txt')));
    expect(names.size).toBe(1_000);
    const pattern = new RegExp(FILE_REF_SCHEMA.properties.name.pattern);
    expect([...names].every((name) => pattern.test(name))).toBe(true);
  });
});

describe('cleanOriginalName', () => {
  it('drops directories, control and bidirectional characters, and keeps the rest', () => {
    expect(cleanOriginalName('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(cleanOriginalName('../../a\u0000b\u202E.txt')).toBe('ab.txt');
    expect(cleanOriginalName('résumé 2026.pdf')).toBe('résumé 2026.pdf');
    expect(cleanOriginalName('\u0001')).toBe('file');
  });
});

describe('storage keys', () => {
  it('put each file under its collection and record, and its thumbnails beside it', () => {
    expect(fileKey('c1', 'r1', 'a_0123456789.png')).toBe('c1/r1/a_0123456789.png');
    expect(thumbnailKey('c1', 'r1', 'a_0123456789.png', '100x100')).toBe('c1/r1/a_0123456789.png.thumbs/100x100');
    expect(() => fileKey('c1', '..', 'x')).toThrow();
  });
});
