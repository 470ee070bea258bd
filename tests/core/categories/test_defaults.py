"""The default category set categorizes everyday apps and sites as a user would expect."""

from __future__ import annotations

from typing import Any

import pytest
from timelygator.core.categories import (
    Categorizer,
    CategoryTree,
    Productivity,
    load_default_categories,
    to_aw_classes,
)
from timelygator.core.categories.formats import from_aw_classes

SAMPLES: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    # window events (app, title)
    (
        {"app": "Code", "title": "main.py - timelygator - Visual Studio Code"},
        ("Work", "Programming"),
    ),
    ({"app": "jetbrains-pycharm", "title": "timelygator \u2013 store.py"}, ("Work", "Programming")),
    ({"app": "gnome-terminal-server", "title": "user@host: ~/src"}, ("Work", "Programming")),
    ({"app": "WindowsTerminal.exe", "title": "PowerShell"}, ("Work", "Programming")),
    ({"app": "kitty", "title": "nvim"}, ("Work", "Programming")),
    (
        {"app": "Firefox", "title": "Pull requests · org/repo · GitHub — Mozilla Firefox"},
        ("Work", "Programming"),
    ),
    ({"app": "libreoffice-writer", "title": "report.odt - LibreOffice Writer"}, ("Work", "Docs")),
    ({"app": "WINWORD.EXE", "title": "Proposal.docx - Word"}, ("Work", "Docs")),
    ({"app": "Figma", "title": "Landing page \u2013 Figma"}, ("Work", "Design")),
    ({"app": "zoom.us", "title": "Zoom Meeting"}, ("Work", "Meetings")),
    ({"app": "Microsoft Teams", "title": "Standup | Microsoft Teams"}, ("Work", "Meetings")),
    ({"app": "Slack", "title": "Huddle: #eng - Acme - Slack"}, ("Work", "Meetings")),
    ({"app": "Slack", "title": "#general - Acme - Slack"}, ("Communication", "Chat")),
    ({"app": "discord", "title": "#off-topic | Friends - Discord"}, ("Communication", "Chat")),
    ({"app": "Telegram", "title": "Telegram"}, ("Communication", "Chat")),
    ({"app": "Signal", "title": "Signal"}, ("Communication", "Chat")),
    ({"app": "thunderbird", "title": "Inbox - Mozilla Thunderbird"}, ("Communication", "Email")),
    ({"app": "Spotify", "title": "Daft Punk - Around the World"}, ("Media", "Music")),
    ({"app": "vlc", "title": "movie.mkv - VLC media player"}, ("Media", "Video")),
    ({"app": "steam", "title": "Steam"}, ("Media", "Games")),
    ({"app": "Nautilus", "title": "Downloads"}, ("System",)),
    ({"app": "explorer.exe", "title": "File Explorer"}, ("System",)),
    ({"app": "KeePassXC", "title": "passwords.kdbx"}, ("System",)),
    ({"app": "Calculator", "title": "Calculator"}, ("System",)),
    ({"app": "Firefox", "title": "Home / X — Mozilla Firefox"}, ("Social",)),
    ({"app": "Google-chrome", "title": "(3) Cats - YouTube - Google Chrome"}, ("Media", "Video")),
    ({"app": "some-app", "title": "Untitled"}, ("Uncategorized",)),
    # web events (url, title, audible, incognito, tabCount)
    ({"url": "https://github.com/org/repo/pull/1", "title": "Fix bug"}, ("Work", "Programming")),
    (
        {"url": "https://stackoverflow.com/questions/1", "title": "How to x"},
        ("Work", "Programming"),
    ),
    ({"url": "https://docs.google.com/document/d/1", "title": "Plan"}, ("Work", "Docs")),
    ({"url": "https://www.figma.com/file/abc", "title": "Design"}, ("Work", "Design")),
    ({"url": "https://meet.google.com/abc-defg-hij", "title": "Meet"}, ("Work", "Meetings")),
    (
        {"url": "https://mail.google.com/mail/u/0/#inbox", "title": "Inbox (3)"},
        ("Communication", "Email"),
    ),
    ({"url": "https://web.whatsapp.com/", "title": "WhatsApp"}, ("Communication", "Chat")),
    (
        {"url": "https://www.youtube.com/watch?v=1", "title": "Cats", "audible": True},
        ("Media", "Video"),
    ),
    ({"url": "https://music.youtube.com/watch?v=2", "title": "Song"}, ("Media", "Music")),
    ({"url": "https://www.netflix.com/watch/1", "title": "Netflix"}, ("Media", "Video")),
    ({"url": "https://www.twitch.tv/streamer", "title": "streamer"}, ("Media", "Video")),
    ({"url": "https://open.spotify.com/album/1", "title": "Album"}, ("Media", "Music")),
    ({"url": "https://www.reddit.com/r/python/", "title": "r/python"}, ("Social",)),
    ({"url": "https://x.com/home", "title": "Home / X"}, ("Social",)),
    ({"url": "https://twitter.com/someone", "title": "someone"}, ("Social",)),
    ({"url": "https://www.facebook.com/", "title": "Facebook"}, ("Social",)),
    ({"url": "https://www.instagram.com/", "title": "Instagram"}, ("Social",)),
    ({"url": "https://www.linkedin.com/feed/", "title": "Feed | LinkedIn"}, ("Social",)),
    ({"url": "https://news.ycombinator.com/", "title": "Hacker News"}, ("Social",)),
    ({"url": "https://en.wikipedia.org/wiki/Time", "title": "Time - Wikipedia"}, ("Learning",)),
    ({"url": "https://www.coursera.org/learn/ml", "title": "ML"}, ("Learning",)),
    ({"url": "https://www.amazon.com/dp/123", "title": "Amazon.com: A Book"}, ("Shopping",)),
    ({"url": "https://www.ebay.com/itm/1", "title": "Thing | eBay"}, ("Shopping",)),
    ({"url": "https://www.bbc.co.uk/news/world", "title": "World - BBC News"}, ("News",)),
    ({"url": "https://www.nytimes.com/", "title": "The New York Times"}, ("News",)),
    ({"url": "https://aws.amazon.com/s3/", "title": "Amazon S3"}, ("Work", "Programming")),
    ({"url": "https://www.dropbox.com/home", "title": "Files - Dropbox"}, ("Uncategorized",)),
    ({"url": "https://example.com/", "title": "Example Domain"}, ("Uncategorized",)),
]


@pytest.fixture(scope="module")
def categorizer() -> Categorizer:
    return Categorizer.from_categories(load_default_categories(), strict=True)


@pytest.mark.parametrize(("data", "expected"), SAMPLES, ids=[str(d) for d, _ in SAMPLES])
def test_default_categories(
    categorizer: Categorizer, data: dict[str, Any], expected: tuple[str, ...]
) -> None:
    assert categorizer.categorize(data) == expected


def test_defaults_have_colors_and_levels() -> None:
    categories = load_default_categories()
    tree = CategoryTree(categories)
    top = {path for path in tree.paths() if len(path) == 1}
    assert top == {
        ("Work",),
        ("Communication",),
        ("Media",),
        ("Social",),
        ("Learning",),
        ("Shopping",),
        ("News",),
        ("System",),
    }
    for path in tree.paths():
        assert tree.style(path).color is not None, path
        assert tree.style(path).score is not None, path
    assert tree.style(("Work", "Programming")).productivity is Productivity.VERY_PRODUCTIVE
    assert tree.style(("Media", "Video")).productivity is Productivity.VERY_DISTRACTING
    assert tree.style(("Media", "Music")).productivity is Productivity.NEUTRAL


def test_defaults_survive_activitywatch_export() -> None:
    categories = load_default_categories()
    exported = to_aw_classes(categories)
    assert to_aw_classes(from_aw_classes(exported)) == exported
    again = Categorizer.from_categories(from_aw_classes(exported))
    for data, expected in SAMPLES:
        assert again.categorize(data) == expected
