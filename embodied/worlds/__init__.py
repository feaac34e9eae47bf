"""One package per world (env, vocabulary, rules, expert, language); `embodied.registry.WORLDS` lists them.

The contracts: `base.SubgoalEnv` and `base.Vocabulary`, `rules.Rules`, `expert.Expert`,
`language.LanguageAssets`; a package's `__init__` names its parts in an `embodied.registry.World`.
"""
