// A storefront's fetch calls typed by openapi-typescript's schema.d.ts, generated from the live
// schema: search by text, search by an image as a data URL, list items, read a 400 as the typed
// error. Prints one JSON object for tests/frontend/test_generated_clients.py to check.
import type { components, paths } from "./schema";

declare const process: { argv: string[]; exitCode?: number };

type SearchBody = NonNullable<
  paths["/api/v1/search/"]["post"]["requestBody"]
>["content"]["application/json"];
type SearchOutput = components["schemas"]["SearchOutput"];
type ItemList = components["schemas"]["PaginatedItemOutputList"];
type ApiError = components["schemas"]["Error"];
type ItemsQuery = NonNullable<paths["/api/v1/items/"]["get"]["parameters"]["query"]>;

const [baseUrl, imageDataUrl] = process.argv.slice(2);

async function search(body: SearchBody): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/search/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

function titles(output: SearchOutput): string[] {
  return output.results.map((hit) => hit.item.title);
}

async function main(): Promise<void> {
  const byText = (await (await search({ text: "lamp", mode: "semantic" })).json()) as SearchOutput;
  const byImage = (await (
    await search({ image: imageDataUrl, mode: "semantic" })
  ).json()) as SearchOutput;
  const query: ItemsQuery = { ordering: "title" };
  const listed = (await (
    await fetch(`${baseUrl}/api/v1/items/?ordering=${query.ordering}`)
  ).json()) as ItemList;
  const badResponse = await search({ text: "lamp", k: 0 });
  const bad = (await badResponse.json()) as ApiError;
  console.log(
    JSON.stringify({
      by_text: titles(byText),
      by_image: titles(byImage),
      items: listed.results.map((item) => item.title),
      count: listed.count,
      bad_status: badResponse.status,
      bad_detail: bad.detail,
      bad_fields: Object.keys(bad.errors ?? {}),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
