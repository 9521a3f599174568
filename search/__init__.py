"""Search: a layer above `catalog` (items, filters) and `embeddings` (spaces, vectors).

Every interface (browser, API, CLI) calls `search.service.item_search`, which runs the
stages in order, each a module of its own with typed values between them:

    parse     flat params / JSON -> SearchQuery          (search.parse, search.query)
    rewrite   SearchQuery -> SearchQuery                  (search.rewrite)
    retrieve  SearchQuery -> list[RankedList]             (search.retrieve)
    fuse      list[RankedList] -> list[Fused]             (search.fuse)
    post      list[Fused] -> Page                         (search.post)
    hydrate   Page -> list[SearchHit]                     (search.hydrate)

Imports go one way: search imports catalog and embeddings; neither imports search.
"""
