import { recipientDomain, recipientInbox } from './recipient';

describe('recipientInbox', () => {
  it.each([
    ['Ada@Example.COM', 'ada@example.com'],
    ['  ada@example.com ', 'ada@example.com'],
    ['Ada Lovelace <Ada@Example.com>', 'ada@example.com'],
    ['ada+backlot@example.com', 'ada@example.com'],
    ['ada+a+b@example.com', 'ada@example.com'],
    ['a.d.a+x@GMail.com', 'ada@gmail.com'],
    ['ada@googlemail.com', 'ada@gmail.com'],
  ])('counts %s as the inbox %s', (address, inbox) => {
    expect(recipientInbox(address)).toBe(inbox);
  });

  it('keeps dots outside Gmail, where they name other mailboxes', () => {
    expect(recipientInbox('a.da@example.com')).not.toBe(recipientInbox('ada@example.com'));
  });

  it('keeps different domains apart', () => {
    expect(recipientInbox('ada@example.com')).not.toBe(recipientInbox('ada@example.org'));
  });
});

describe('recipientDomain', () => {
  it.each([
    ['ada@Example.com', 'example.com'],
    ['Ada <ada@example.org>', 'example.org'],
    ['no address', 'unknown'],
  ])('names %s by %s', (address, domain) => {
    expect(recipientDomain(address)).toBe(domain);
  });
});
