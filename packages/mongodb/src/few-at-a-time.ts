// Reads by _id or by one run's fields, several at once but not all at once:
// where one query for many documents would be a `$in` or `$or`, which a server
// without indexes for them (FerretDB 1.x) answers by reading the whole
// collection, the store sends a query per document instead, a few in flight.

/** How many of those queries are in flight at once. */
const inFlight = 8;

/** `read(item)` for every item, a few at a time; the results in the items' order. */
export async function fewAtATime<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let from = 0; from < items.length; from += inFlight) {
    results.push(...(await Promise.all(items.slice(from, from + inFlight).map(read))));
  }
  return results;
}
