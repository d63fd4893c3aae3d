"""Talk mode (issue 5): a full-screen presenter view with calm, readable bars.

board.py    what to show, frame by frame (smoothing, stable ranking, focus/hide, roll-up, motion); no Qt
config.py   presenter settings <-> QSettings
themes.py   dark and light colours
view.py     the presenter window (QPainter bars, spectrogram strip, hint line)
search.py   class search with AudioSet descriptions
editor.py   the classes-and-settings dialog (focus list, hide list, options)
replay.py   history of live results, freeze, instant replay
snapshot.py Ctrl+S to a PNG in the Pictures folder
talk.py     TalkMode: wires all of it into the main window (host.py: what it uses of that window)
presenting.py  the presenter window: made, styled, placed on a screen (a TalkMode mixin)
menus.py    right-click menus: pin / hide a class, freeze, replay (a TalkMode mixin)
"""

from yamview.gui.presenter.talk import TalkMode

__all__ = ["TalkMode"]
