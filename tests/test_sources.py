"""Publications a text names (rag.sources): how a claim's "The Verge reported ..." meets the index's sites."""

from __future__ import annotations

import pytest

from rag.sources import named_sources, site_name

SITES = ["theverge.com", "techcrunch.com", "theage.com.au", "smh.com.au", "cbssports.com", "theroar.com.au",
         "en.globes.co.il", "time.com", "ft.com", "thehindubusinessline.com", "Port Alder Town Council"]


@pytest.mark.parametrize("source, name", [
    ("theverge.com", "theverge"), ("theage.com.au", "theage"), ("en.globes.co.il", "globes"),
    ("www.bbc.co.uk", "bbc"), ("Port Alder Town Council", "portaldertowncouncil"),
])
def test_site_name_is_the_publication_label(source, name):
    assert site_name(source) == name


@pytest.mark.parametrize("text, expected", [
    ("Did The Verge and TechCrunch both report the deal?", ["theverge.com", "techcrunch.com"]),
    ("The 'The Age' article agrees with TechCrunch.", ["techcrunch.com", "theage.com.au"]),
    ("The Sydney Morning Herald said the match was close.", ["smh.com.au"]),  # by its initials
    ("The CBSSports.com report on the trade was accurate.", ["cbssports.com"]),
    ("The Roar | Sports Writers Blog agrees.", ["theroar.com.au"]),
    ("Globes English | Israel Business Arena reported a rise.", ["en.globes.co.il"]),
    ("The Port Alder Town Council published a fact sheet.", ["Port Alder Town Council"]),
    ("Time reported on the summit.", ["time.com"]),
    ("The Business Line article says stocks fell.", ["thehindubusinessline.com"]),  # the end of its name
])
def test_named_sources_spelled_as_people_write_them(text, expected):
    assert named_sources(text, SITES) == expected


@pytest.mark.parametrize("text", [
    "What happened at the time of the vote?",  # "time" is not Time
    "The age of the bridge is what?",  # "The age" does not spell The Age
    "Did the FT report it?",  # two-letter site names are too easily spelled by accident
    "Is techcrunch-style reporting common?",  # not capitalised: not a name
    "The Line was busy.",  # one word, or a part shorter than 8 letters, does not name a site in part
    "",
])
def test_words_that_only_look_like_a_source_name_none(text):
    assert named_sources(text, SITES) == []
