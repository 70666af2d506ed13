"""The demo club's story for Insights: who joined lately, who slips away, who praises the club
but no longer buys. Read by ``rewards.demo`` (the purchases), ``campaigns.demo`` (the survey
answers, and no campaign orders from these companies) and ``portal.demo`` (the newcomers'
join dates).

Every other demo company buys at random from the start of the history
(``rewards.demo._company_events``). A company here follows its story instead, month by
month up to today: ``months`` is its spend in each of its last ``len(months)`` calendar months
(the last entry is the current month), in % of its usual month (0: no order that month).
Before its story a company buys as usual; a **newcomer** joined in the first month of its
story and bought nothing before.

What the Insights pages show from it (the seed test checks each):

* **Cohorts**: two Swedish companies joined 11 months ago and keep buying (one skips two
  months): a cohort that stays. Two joined 8 months ago, bought for three and four months and
  stopped: a cohort that drops off. Two Dutch companies joined 5 and 2 months ago and buy
  every month.
* **A segment slipping away**: regular buyers whose orders thin out and stop 4 to 9 months
  ago (at risk, hibernating; *slows down* or *stopped*), and one whose orders shrink to a
  third (*declining spend*). A year ago or 90 days ago they were champions or loyal: the
  segment movement shows them moving down.
* **Satisfied is not loyal**: two companies that stopped buying more than 180 days ago
  answered the survey with 9 and 10 in the last weeks (promoters who stopped buying); a
  third, which also stopped, is a detractor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone


@dataclass(frozen=True)
class BuyingStory:
    months: tuple[int, ...]
    newcomer: bool = False
    monthly_spend: int | None = None  # a newcomer's usual month, SEK (others draw theirs)
    # The latest survey answer of one of its contacts: (score, days ago, comment as typed).
    answer: tuple[int, int, str] | None = None

    def share_in(self, month: date, *, today: date) -> int | None:
        """The spend in ``month`` (its first day) in %, or None before the story."""
        months_ago = (today.year - month.year) * 12 + today.month - month.month
        index = len(self.months) - 1 - months_ago
        return self.months[index] if 0 <= index < len(self.months) else None

    def joined_at(self, now: datetime) -> datetime:
        """A newcomer's join date: the start of the first month of its story (local time)."""
        this_month = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return this_month - relativedelta(months=len(self.months) - 1)


# The newcomers are the last companies of ``portal.demo`` (ERP-1040 to ERP-1045).
STORIES: dict[str, BuyingStory] = {
    # A cohort that stays (joined 11 months ago).
    "ERP-1040": BuyingStory((100, 90, 110, 100, 120, 100, 100, 110, 90, 120, 100, 100), True, 18_000),
    "ERP-1041": BuyingStory((100, 100, 0, 100, 110, 100, 120, 0, 100, 100, 90, 100), True, 12_000),
    # A cohort that drops off (joined 8 months ago).
    "ERP-1042": BuyingStory((100, 80, 60, 0, 0, 0, 0, 0, 0), True, 15_000),
    "ERP-1043": BuyingStory((100, 100, 70, 50, 0, 0, 0, 0, 0), True, 10_000),
    # Dutch newcomers that keep buying (joined 5 and 2 months ago).
    "ERP-1044": BuyingStory((100, 110, 100, 120, 100, 100), True, 20_000),
    "ERP-1045": BuyingStory((100, 100, 120), True, 12_000),
    # Slipping away: Uppsala Installation thins out, last order 4 months ago (at risk).
    "ERP-1008": BuyingStory((100, 100, 100, 90, 70, 60, 0, 0, 0, 0)),
    # Gotlands Bygghandel stopped 7 months ago, yet its buyer gave 10 last month.
    "ERP-1013": BuyingStory(
        (100, 100, 100, 100, 80, 0, 0, 0, 0, 0, 0, 0),
        answer=(10, 24, "Bra service och snabba leveranser. Vi har bara inga egna projekt just nu."),
    ),
    # Sundsvalls Montage: smaller and smaller orders, the last 5 months ago (at risk).
    "ERP-1017": BuyingStory((100, 100, 100, 100, 100, 80, 60, 50, 0, 0, 0, 0, 0)),
    # Smit Schilders stopped 8 months ago and is a promoter all the same.
    "ERP-1029": BuyingStory(
        (100, 100, 100, 100, 90, 0, 0, 0, 0, 0, 0, 0, 0),
        answer=(9, 41, "Prima service en een vaste contactpersoon. We kopen nu bij een groothandel om de hoek."),
    ),
    # Peters Loodgieters still orders every month, for a third of what it used to.
    "ERP-1033": BuyingStory((100, 100, 100, 100, 100, 100, 60, 45, 40, 35, 30, 30)),
    # Willems Grondwerk stopped 9 months ago after late deliveries: a detractor.
    "ERP-1036": BuyingStory(
        (100, 100, 100, 100, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        answer=(4, 120, "Twee keer te laat geleverd op de bouwplaats. We bestellen nu elders."),
    ),
}


def story_for(external_id: str) -> BuyingStory | None:
    return STORIES.get(external_id)
