/**
 * Names for statements whose text is built per query shape, so that each shape is prepared once per connection (the
 * pg driver prepares a named statement on first use and re-uses it). `max` bounds how many shapes get a name where
 * shapes come from requests (a client could vary them at will): beyond it, undefined — plan per request, unnamed.
 */
export function statementNamer(prefix: string, max = Infinity): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < max) {
      name = `${prefix}${names.size}`;
      names.set(text, name);
    }
    return name;
  };
}
