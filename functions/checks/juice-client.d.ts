// juice's DOM-free entry (cheerio only, no web-resource fetching): the same function as `juice`.
declare module 'juice/client' {
  import type juice from 'juice';
  const juiceClient: typeof juice;
  export default juiceClient;
}
