/** Long word lists read better as one string than as one quoted word a line. */
export function words(list: string): string[] {
  return list.trim().split(/\s+/);
}

/** For lists whose entries hold spaces (`container ls`), entries are separated by commas. */
export function phrases(list: string): string[] {
  return list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
