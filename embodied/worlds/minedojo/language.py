"""The minedojo world's language: the minetest world's templates and examples with Minecraft's stick recipe."""

from embodied.worlds.language import LanguageAssets
from embodied.worlds.minetest.language import EXAMPLES, sample_instruction

RULES_TEXT = (
    "Minecraft (MineDojo). collect log: dig a tree trunk. craft planks: 1 log -> 4 planks. craft stick: 2 planks "
    "-> 4 sticks. craft crafting table: 4 planks. place crafting table: needs one in the inventory. craft wooden "
    "pickaxe: 3 planks + 2 sticks, a crafting table in reach. collect cobblestone: dig stone with a pickaxe. "
    "craft stone pickaxe: 3 cobblestone + 2 sticks, a crafting table in reach."
)
LANGUAGE = LanguageAssets(RULES_TEXT, EXAMPLES[:1] + EXAMPLES[2:], sample_instruction)
