import { SqlParams } from './filter-compiler';
import { searchConfig, searchQuery, wordBeingTyped } from './text-search';

describe('wordBeingTyped', () => {
  it('takes the last word when nothing follows it', () => {
    expect(wordBeingTyped('mil')).toEqual({ before: '', word: 'mil' });
    expect(wordBeingTyped('fresh mil')).toEqual({ before: 'fresh ', word: 'mil' });
    expect(wordBeingTyped('"brown bread" ho')).toEqual({ before: '"brown bread" ', word: 'ho' });
  });

  it('leaves finished words, negations, joins and open phrases alone', () => {
    expect(wordBeingTyped('milk ')).toBeUndefined();
    expect(wordBeingTyped('milk -sug')).toBeUndefined();
    expect(wordBeingTyped('milk or')).toBeUndefined();
    expect(wordBeingTyped('"brown bre')).toBeUndefined();
    expect(wordBeingTyped('!!!')).toBeUndefined();
    expect(wordBeingTyped('')).toBeUndefined();
  });
});

describe('searchQuery', () => {
  it('binds every part of the search, quoting the prefix as one lexeme', () => {
    const params = new SqlParams();
    const sql = searchQuery("o'bri", 'english', params);
    expect(sql).toBe("(websearch_to_tsquery('english'::regconfig, $1::text) && to_tsquery('english'::regconfig, $2::text))");
    expect(params.values).toEqual(['', "'o''bri':*"]);
  });

  it('joins the word being typed with OR when the search says so', () => {
    const params = new SqlParams();
    expect(searchQuery('honey OR bre', 'simple', params)).toContain(' || to_tsquery(');
    expect(params.values).toEqual(['honey', "'bre':*"]);
  });

  it('keeps a finished search as web-search syntax', () => {
    const params = new SqlParams();
    expect(searchQuery('milk ', 'simple', params)).toBe("websearch_to_tsquery('simple'::regconfig, $1::text)");
  });

  it('refuses a configuration not on the list', () => {
    expect(() => searchConfig("english'; DROP TABLE records; --")).toThrow(/Unknown text search language/);
  });
});
