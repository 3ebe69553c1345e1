"""The demo events: every type, every coalition city, a few filling up.

Dates are relative to the day of loading, so the demo never goes stale; the
slugs are fixed, so loading twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from registration.database import utcnow
from registration.events.models import City, Event, EventStatus, EventType
from registration.extensions import db
from registration.i18n import WARSAW
from registration.registrations.models import Category, Registration, RegistrationStatus
from registration.registrations.services import Applicant, approve, register

PLACE_OR_REQUEST = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.PENDING,
)


@dataclass(frozen=True)
class DemoEvent:
    slug: str
    type: EventType
    city: str
    title: str
    summary: str
    description: str
    venue: str
    address: str
    days_from_now: int
    start: time
    hours: float
    capacity: int
    registrations: int = 0
    waitlist: bool = True
    cancelled: bool = False
    online_url: str | None = None
    audience: str = ""
    cost: str = ""
    #: Each day's lines, from the first day on; dated when the event is (``_programme``).
    programme: tuple[tuple[str, ...], ...] = ()
    practical_information: str = ""
    #: Seats kept per coalition city (by name) until a week before the start.
    allocations: tuple[tuple[str, int], ...] = ()
    #: Whether organisers approve each registration; the first ``approved`` are approved.
    approval: bool = False
    approved: int = 0


#: Two seats for each of the seven cities.
EVERY_CITY_TWO = tuple(
    (name, 2) for name in ("Gdańsk", "Katowice", "Lublin", "Łódź", "Poznań", "Szczecin", "Wrocław")
)

DEMO_EVENTS = [
    DemoEvent(
        slug="wizyta-studyjna-nowe-centrum-lodzi",
        type=EventType.STUDY_VISIT,
        city="Łódź",
        title="Wizyta studyjna: rewitalizacja przez kulturę w Nowym Centrum Łodzi",
        summary="Jak EC1 i Księży Młyn zmieniły poprzemysłowe dzielnice — spacer z zespołami instytucji.",
        description=(
            "Dwa dni w Łodzi z zespołami **EC1 Łódź – Miasto Kultury** i **Muzeum Fabryki**.\n\n"
            "Zobaczysz, jak miasto oddało kulturze dawną elektrociepłownię i fabryki Księżego Młyna, "
            "i porozmawiasz z ludźmi, którzy tymi miejscami zarządzają. W programie:\n\n"
            "- spacer po Nowym Centrum Łodzi,\n"
            "- rozmowa o modelach zarządzania obiektami poprzemysłowymi,\n"
            "- warsztat o partycypacji mieszkańców w programowaniu instytucji.\n\n"
            "Wizyta jest dla zespołów, które planują podobne inwestycje lub już je prowadzą."
        ),
        audience="Pracownicy instytucji kultury i wydziałów kultury miast koalicji",
        programme=(
            (
                "09:30 Powitanie i kawa | Hol główny EC1, ul. Targowa 1/3",
                "10:00–12:30 Spacer po Nowym Centrum Łodzi | Prowadzi zespół EC1; przydadzą się wygodne buty",
                "12:30–13:30 Obiad",
                "13:30–15:30 Jak zarządzać obiektem poprzemysłowym: rozmowa z dyrekcją EC1",
                "16:00–17:30 Muzeum Fabryki w Manufakturze",
                "19:00 Wspólna kolacja | Dla chętnych",
            ),
            (
                "09:00–12:00 Warsztat: mieszkańcy współtworzą program instytucji",
                "12:00–13:00 Obiad",
                "13:00–15:30 Księży Młyn: spacer i rozmowa z mieszkańcami",
                "15:30–17:00 Wnioski dla miast koalicji i pożegnanie",
            ),
        ),
        practical_information=(
            "**Nocleg** zapewnia organizator: hotel w pobliżu EC1, pokoje dwuosobowe "
            "(jednoosobowe na życzenie, w miarę dostępności).\n\n"
            "**Dojazd** we własnym zakresie. Z dworca Łódź Fabryczna do EC1 idzie się 5 minut.\n\n"
            "- Koszty podróży zwraca zwykle miasto, które Cię deleguje: zapytaj w swoim wydziale kultury.\n"
            "- Posiłki z programu są bezpłatne; o diecie napisz w formularzu.\n\n"
            "Pytania: koalicja.lodz@example.org"
        ),
        venue="EC1 Łódź – Miasto Kultury",
        address="ul. Targowa 1/3",
        days_from_now=16,
        start=time(9, 30),
        hours=31.5,
        capacity=20,
        registrations=18,
        allocations=EVERY_CITY_TWO,
    ),
    DemoEvent(
        slug="seminarium-finansowanie-kultury-poznan",
        type=EventType.SEMINAR,
        city="Poznań",
        title="Seminarium problemowe: wieloletnie finansowanie organizacji kultury",
        summary="Granty wieloletnie, umowy partnerskie i ich rozliczanie — doświadczenia Poznania i Lublina.",
        description=(
            "Seminarium dla urzędników wydziałów kultury i liderów organizacji pozarządowych.\n\n"
            "Omówimy poznański program grantów trzyletnich, lubelskie umowy partnerskie oraz "
            "najczęstsze problemy w rozliczaniu dotacji."
        ),
        venue="Centrum Kultury Zamek",
        address="ul. Święty Marcin 80/82",
        days_from_now=23,
        start=time(10, 0),
        hours=6,
        capacity=40,
        registrations=12,
        approval=True,
        approved=8,
    ),
    DemoEvent(
        slug="spotkanie-eksperckie-dostepnosc-gdansk",
        type=EventType.EXPERT_MEETING,
        city="Gdańsk",
        title="Spotkanie z ekspertami: dostępność wydarzeń plenerowych",
        summary="Audytorki dostępności o festiwalach, koncertach i potańcówkach w przestrzeni miejskiej.",
        description=(
            "Krótkie wystąpienia ekspertek i ekspertów, potem pytania z sali.\n\n"
            "Spotkanie jest tłumaczone na polski język migowy."
        ),
        venue="Instytut Kultury Miejskiej",
        address="ul. Długie Ogrody 8/10",
        days_from_now=9,
        start=time(12, 0),
        hours=3,
        capacity=12,
        registrations=12,
        online_url="https://meet.example.org/dostepnosc-gdansk",
    ),
    DemoEvent(
        slug="wizyta-studyjna-strefa-kultury-wroclaw",
        type=EventType.STUDY_VISIT,
        city="Wrocław",
        title="Wizyta studyjna: jak działa Strefa Kultury Wrocław",
        summary="Festiwale, rezydencje i Wrocławski Dom Literatury od zaplecza.",
        description=(
            "Poznaj zespół koordynatora Koalicji Miast i zobacz, jak jedna instytucja prowadzi "
            "kilkadziesiąt projektów rocznie.\n\nW programie wizyta w Barbarze i w Kinie Nowe Horyzonty."
        ),
        venue="Barbara",
        address="ul. Świdnicka 8b",
        days_from_now=37,
        start=time(10, 0),
        hours=7,
        capacity=25,
        registrations=4,
    ),
    DemoEvent(
        slug="seminarium-miejskie-domy-kultury-katowice",
        type=EventType.SEMINAR,
        city="Katowice",
        title="Seminarium problemowe: miejskie domy kultury po pandemii",
        summary="Frekwencja, nowe formaty i relacje z sąsiedztwem — dane i przykłady ze Śląska.",
        description="Prezentacja wyników badań frekwencji oraz dyskusja w grupach roboczych.",
        venue="Miasto Ogrodów",
        address="pl. Sejmu Śląskiego 2",
        days_from_now=51,
        start=time(9, 0),
        hours=7,
        capacity=30,
        registrations=29,
    ),
    DemoEvent(
        slug="spotkanie-eksperckie-rezydencje-lublin",
        type=EventType.EXPERT_MEETING,
        city="Lublin",
        title="Spotkanie z ekspertami: programy rezydencji artystycznych",
        summary="Jak zaprojektować rezydencję, z której korzysta i artysta, i miasto.",
        description="Rozmowa z kuratorkami programów rezydencyjnych z Lublina, Wilna i Lwowa.",
        venue="Centrum Spotkania Kultur",
        address="pl. Teatralny 1",
        days_from_now=65,
        start=time(16, 0),
        hours=2.5,
        capacity=35,
    ),
    DemoEvent(
        slug="wizyta-studyjna-stocznia-szczecin",
        type=EventType.STUDY_VISIT,
        city="Szczecin",
        title="Wizyta studyjna: kultura nad wodą — Łasztownia i Filharmonia",
        summary="Nabrzeża jako przestrzeń kultury: inwestycje, programowanie i sezonowość.",
        description="Dzień w Szczecinie: rejs po Odrze, spotkanie w Filharmonii i wizyta w Centrum Dialogu Przełomy.",
        cost="Udział bezpłatny; rejs po Odrze 40 zł, płatne na miejscu",
        venue="Filharmonia im. Mieczysława Karłowicza",
        address="ul. Małopolska 48",
        days_from_now=79,
        start=time(9, 0),
        hours=8,
        capacity=15,
        registrations=15,
        waitlist=False,
    ),
    DemoEvent(
        slug="seminarium-dane-w-kulturze-wroclaw",
        type=EventType.SEMINAR,
        city="Wrocław",
        title="Seminarium problemowe: dane o publiczności w instytucjach kultury",
        summary="Co mierzyć, jak porównywać i jak nie naruszyć RODO.",
        description="Seminarium z udziałem analityków z siedmiu miast koalicji.",
        venue="Wrocławski Dom Literatury",
        address="Przejście Żelazne 1",
        days_from_now=94,
        start=time(10, 0),
        hours=5,
        capacity=30,
        registrations=2,
    ),
    DemoEvent(
        slug="spotkanie-eksperckie-mlodziez-poznan",
        type=EventType.EXPERT_MEETING,
        city="Poznań",
        title="Spotkanie z ekspertami: młodzież jako współtwórcy programu",
        summary="Rady młodzieżowe przy instytucjach kultury — co działa, a co nie.",
        description="Spotkanie zostało odwołane z powodu choroby prelegentki. Nowy termin wkrótce.",
        venue="Centrum Kultury Zamek",
        address="ul. Święty Marcin 80/82",
        days_from_now=30,
        start=time(17, 0),
        hours=2,
        capacity=25,
        cancelled=True,
    ),
    DemoEvent(
        slug="wizyta-studyjna-gdansk-stocznia-2026",
        type=EventType.STUDY_VISIT,
        city="Gdańsk",
        title="Wizyta studyjna: Stocznia Gdańska jako dzielnica kultury",
        summary="Relacja z wizyty w Europejskim Centrum Solidarności i na terenach postoczniowych.",
        description="Wizyta odbyła się w zeszłym miesiącu; materiały są dostępne u koordynatora.",
        venue="Europejskie Centrum Solidarności",
        address="pl. Solidarności 1",
        days_from_now=-24,
        start=time(10, 0),
        hours=6,
        capacity=20,
    ),
]

DEMO_PEOPLE = [
    ("Anna Kowalska", "Miejski Dom Kultury", "Katowice", Category.CULTURE_STAFF),
    ("Piotr Nowak", "Urząd Miasta – Wydział Kultury", "Lublin", Category.OFFICIAL),
    ("Zofia Wiśniewska", "Fundacja Ślady", "Łódź", Category.NGO),
    ("Łukasz Wójcik", "Teatr Miejski", "Gdańsk", Category.CULTURE_STAFF),
    ("Małgorzata Kamińska", "Urząd Miasta – Biuro Kultury", "Poznań", Category.OFFICIAL),
    ("Jakub Lewandowski", "Stowarzyszenie Kultura Plus", "Szczecin", Category.NGO),
    ("Katarzyna Zielińska", "Biblioteka Miejska", "Wrocław", Category.CULTURE_STAFF),
    ("Tomasz Szymański", "Centrum Sztuki Współczesnej", "Katowice", Category.CULTURE_STAFF),
    ("Agnieszka Dąbrowska", "Urząd Marszałkowski", "Łódź", Category.OFFICIAL),
    ("Michał Kozłowski", "Fundacja Miasto Ogród", "Poznań", Category.NGO),
]


def load_demo(*, now: datetime | None = None) -> int:
    """Add the demo events that are missing; return how many were added."""
    now = now or utcnow()
    cities = {city.name: city for city in db.session.scalars(select(City))}
    existing = set(db.session.scalars(select(Event.slug)))
    created = 0
    for demo in DEMO_EVENTS:
        if demo.slug in existing:
            continue
        event = _create_event(demo, cities[demo.city], now=now)
        event.keep_seats_for_cities({cities[name].id: seats for name, seats in demo.allocations})
        db.session.flush()
        _fill(event, demo, now=now)
        if demo.cancelled:
            event.status = EventStatus.CANCELLED
            event.sequence += 1
        created += 1
    db.session.flush()
    return created


def _create_event(demo: DemoEvent, city: City, *, now: datetime) -> Event:
    day = (now.astimezone(WARSAW) + timedelta(days=demo.days_from_now)).date()
    while day.weekday() >= 5:  # working visits: move a weekend date to the Monday
        day += timedelta(days=1)
    starts_at = datetime.combine(day, demo.start, tzinfo=WARSAW)
    event = Event(
        slug=demo.slug,
        type=demo.type,
        title=demo.title,
        summary=demo.summary,
        description=demo.description,
        city=city,
        venue=demo.venue,
        address=demo.address,
        online_url=demo.online_url,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=demo.hours),
        capacity=demo.capacity,
        waitlist=demo.waitlist,
        status=EventStatus.PUBLISHED,
        contact_email=f"koalicja.{city.slug}@example.org",
        audience=demo.audience,
        cost=demo.cost,
        programme=_programme(demo.programme, day),
        practical_information=demo.practical_information,
        approval=demo.approval,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _programme(days: tuple[tuple[str, ...], ...], first_day: date) -> str:
    """The programme as an organiser types it: each day's date, then its lines."""
    return "\n".join(
        "\n".join(((first_day + timedelta(days=number)).strftime("%d.%m.%Y"), *lines))
        for number, lines in enumerate(days)
    )


def _fill(event: Event, demo: DemoEvent, *, now: datetime) -> None:
    """Register demo people, and three more on the waitlist of a full event."""
    wanted = demo.registrations + (
        3 if demo.registrations >= demo.capacity and demo.waitlist else 0
    )
    # A past event took its registrations before it started.
    when = min(now, event.starts_at - timedelta(days=7))
    requests = []
    for number in range(wanted):
        name, institution, city, category = DEMO_PEOPLE[number % len(DEMO_PEOPLE)]
        registration = register(
            event.id,
            Applicant(
                name=name,
                email=f"{_ascii(name)}.{number}@example.org",
                institution=institution,
                city=city,
                category=category,
                consent=True,
                position=None,
                language="pl",
            ),
            now=when,
        ).registration
        assert registration.status in PLACE_OR_REQUEST
        requests.append(registration.id)
    for registration_id in requests[: demo.approved]:
        approve(db.session.get(Registration, registration_id), account=None, now=when)


def _ascii(name: str) -> str:
    table = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ ", "acelnoszzACELNOSZZ.")
    return name.translate(table).lower()
