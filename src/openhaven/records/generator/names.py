"""Given and family names as they occur in England, by sex, birth cohort and heritage.

Sources: the order of British given names follows ONS *Baby names in England and Wales*
rankings (1996 onwards) and, for earlier cohorts, the published historical top-100 lists
for England and Wales by decade; family names follow public frequency rankings of
surnames in England and Wales. Names of other heritages follow common usage in the
corresponding communities in England. Frequencies are a Zipf fit to each list's rank
order (weight 1 / (rank + 3)), not the published counts.

Given names depend on sex and birth cohort (a Margaret is rarely under fifty, an Olivia
rarely over thirty) and, with a probability set per ethnic category, on heritage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BRITISH_MALE_BORN_1996_ON = _names("""
Oliver Jack Harry George Noah Jacob Charlie Thomas Oscar William James Leo Muhammad Alfie
Henry Joshua Freddie Archie Ethan Isaac Alexander Joseph Edward Samuel Max Daniel Arthur
Lucas Mohammed Logan Theo Harrison Benjamin Mason Sebastian Finley Adam Dylan Zachary Riley
Teddy Theodore Jayden Elijah Luca Toby Tommy Reuben Louie Jenson Hugo Rory Albert Ryan Liam
Owen Lewis Callum Kyle Connor Jake Luke Matthew Nathan Ben Tyler Aaron Bradley Jordan Cameron
Reece Kieran
""")
BRITISH_FEMALE_BORN_1996_ON = _names("""
Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily
Ella Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Alice Harper Ruby Matilda
Isabelle Jessica Chloe Sophie Lucy Megan Hannah Lauren Emma Holly Katie Amy Ellie Millie
Abigail Eleanor Erin Bethany Rebecca Georgia Scarlett Maisie Layla Zara Aria Maya Esme Hallie
Harriet Niamh Imogen Molly Leah Jasmine Eva Lola Nancy Violet Mila
""")
BRITISH_MALE_BORN_1960_1995 = _names("""
David Paul Andrew Mark John Michael Stephen Ian Robert Richard Christopher Peter Simon Anthony
Kevin Gary Steven Martin James Neil Daniel Darren Matthew Lee Jason Craig Thomas Jonathan Adam
Carl Stuart Wayne Philip Dean Nicholas Scott Shaun Gareth Jamie Sean Benjamin Ryan Alan Graham
Colin Barry Keith Timothy Nigel Trevor Russell Karl Marc Gavin Glen Damian Jeremy Antony
Dominic Alexander Samuel Luke Joseph Christian Wesley Ross
""")
BRITISH_FEMALE_BORN_1960_1995 = _names("""
Sarah Claire Nicola Emma Lisa Joanne Michelle Helen Samantha Karen Amanda Rachel Louise Julie
Clare Rebecca Sharon Victoria Caroline Susan Alison Catherine Elizabeth Deborah Donna Tracey
Jennifer Laura Kelly Dawn Angela Jacqueline Gemma Kerry Natalie Hayley Zoe Kate Charlotte
Jane Lynn Andrea Sally Tina Wendy Amy Jessica Lucy Hannah Kirsty Stacey Leanne Jodie Danielle
Lindsey Joanna Katherine Heather Melanie Paula Diane Alexandra Anna Fiona Lorraine Tanya
Debbie
""")
BRITISH_MALE_BORN_BEFORE_1960 = _names("""
John David Michael Peter Robert Anthony Brian Alan William James Richard Kenneth Roger Keith
Colin Christopher Raymond Terence Barry Geoffrey Ronald Derek Stephen Trevor Malcolm Dennis
Graham Roy Eric George Patrick Frank Donald Leslie Stanley Ernest Arthur Albert Harold
Frederick Thomas Charles Gordon Philip Norman Walter Edward Alfred Douglas Victor Sidney
Bernard Clifford Leonard Maurice Gerald Howard Martin Paul Ian Cyril Reginald Herbert Jack
Harry Joseph Henry Samuel
""")
BRITISH_FEMALE_BORN_BEFORE_1960 = _names("""
Margaret Patricia Susan Christine Mary Linda Elizabeth Barbara Jean Janet Carol Valerie
Pauline Sandra Jennifer Maureen Ann Anne Kathleen Joan Sheila Brenda Shirley Dorothy Joyce
Doreen Irene Eileen Sylvia Betty Jacqueline Gillian Judith Marion Hilary Rosemary Elaine
Lesley Wendy Diane Helen Frances Marjorie Audrey Beryl Pamela Vera Gladys Edna Hazel Jane
Julie Yvonne Veronica Josephine Rita June Lilian Muriel Winifred Evelyn Ivy Phyllis Olive
Florence Gwendoline Norma Teresa Angela
""")
BRITISH_FAMILY = _names("""
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Jackson Wood Turner Martin
Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips
Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey
Collins Bell Shaw Murphy Miller Cox Richards Marshall Anderson Simpson Ellis Adams Wilkinson
Foster Chapman Powell Webb Rogers Gray Mason Hunt Campbell Matthews Owen Palmer Holmes Mills
Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham
Pearson Fletcher Walsh Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford
Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien
Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman
Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid
Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner
Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross
Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis
Hopkins O'Connor Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy
Wheeler Potter Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May
Pritchard Gilbert Willis Higgins Read Miles Stevenson Stephenson Hammond Arnold Buckley
Walters Hewitt Barber Nelson Slater Austin Sullivan Whitehead Mann Frost Lambert Stephens
Blake Lynch Goodwin Barton Woodward Thomson Cunningham Quinn Barnett Baxter Clayton Nash
Greenwood Jennings Holt Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler Heath Norman
Middleton Lawson Banks French Stanley Jarvis Gibbs Ferguson Hayward Carroll Douglas Dickinson
Todd Barlow Peters Lucas Knowles Hartley Simmons Morton Alexander Field Morrison Norris
Townsend Preston Hancock Thornton Baldwin Burrows Briggs Storey Pugh
""")

SOUTH_ASIAN_MALE = _names("""
Mohammed Muhammad Ali Ahmed Amir Hassan Ibrahim Yusuf Zain Omar Imran Rahul Arjun Ravi Sanjay
Vikram Amit Raj Gurpreet Sunil Rajesh Aarav Aryan Rohan Kabir Tariq Bilal Usman Hamza Adnan
Faisal Abdul Shahid Kamran Harjit Jaswinder Manish Nikhil Deepak Ajay Sandeep Mahmood Rizwan
""")
SOUTH_ASIAN_FEMALE = _names("""
Fatima Aisha Ayesha Zainab Maryam Amina Priya Anjali Sunita Neha Pooja Kiran Simran Nadia
Sana Hina Shabana Nasreen Rukhsana Parveen Anaya Aaliyah Safiya Laila Noor Yasmin Samina Rani
Asha Meera Divya Shreya Jaspreet Manpreet Harpreet Rubina Shazia Nazia Farzana Tahmina
""")
SOUTH_ASIAN_FAMILY = _names("""
Patel Khan Singh Begum Ali Hussain Ahmed Kaur Shah Akhtar Bibi Miah Rahman Islam Uddin
Mahmood Iqbal Rashid Hassan Malik Chowdhury Mohammed Butt Sharma Kumar Gupta Mistry Parmar
Chauhan Solanki Joshi Mehta Desai Sandhu Dhillon Bains Sidhu Aziz Javed Riaz Anwar Hossain
""")
BLACK_AFRICAN_CARIBBEAN_MALE = _names("""
Emmanuel Samuel Daniel David Joseph Michael Kwame Kofi Chinedu Oluwaseun Tunde Abdullahi
Mohamed Ibrahim Yusuf Abdi Tendai Tafadzwa Joshua Isaac Godfrey Winston Delroy Marcus Andre
Leroy Tyrone Jermaine Kelvin Clive Nathaniel Elijah Femi Segun Chukwuemeka Kojo Yaw
""")
BLACK_AFRICAN_CARIBBEAN_FEMALE = _names("""
Grace Blessing Precious Mercy Faith Abena Ama Ngozi Chioma Funmilayo Adaeze Fatuma Amina
Hodan Fadumo Esther Ruth Comfort Patience Joy Marcia Beverley Sonia Janice Shanice Tanisha
Keisha Naomi Abigail Deborah Olivia Favour Adwoa Efua Nkechi Yetunde Folake
""")
BLACK_AFRICAN_CARIBBEAN_FAMILY = _names("""
Okafor Adeyemi Mensah Osei Boateng Mohamed Abdi Okoro Adebayo Owusu Nwosu Asante Ogunleye
Ibrahim Yusuf Hassan Kamara Diallo Mwangi Banda Campbell Thomas Williams Brown Clarke Francis
Grant Samuels Henry Lewis Bailey Johnson Edwards Forde Okonkwo Oyelaran Appiah Agyeman Sesay
""")
CHINESE_MALE = _names("""
Wei Jun Ming Hao Lei Jian Tao Bo Chen Kai Yong Qiang Hui Jie Peng Feng Kin Wing Chun Man
Daniel David Michael Kevin Jason Eric
""")
CHINESE_FEMALE = _names("""
Mei Li Xin Yan Hui Ying Jing Lin Xiao Hong Fang Na Yu Ting Wai Ka Man Siu
Jennifer Michelle Vivian Grace Amy Karen Joyce
""")
CHINESE_FAMILY = _names("""
Wang Li Zhang Chen Liu Wong Chan Lam Cheung Lee Ho Ng Yang Huang Zhou Wu Lin Tang Leung
Yip Tsang Chow Kwok Lau Fung Zhao Xu Sun Ma Zhu Hu Guo
""")
EASTERN_EUROPEAN_MALE = _names("""
Piotr Tomasz Pawel Krzysztof Marcin Michal Jakub Lukasz Andrei Mihai Ionut Alexandru Marius
Darius Tomas Mindaugas Janis Andris Peter Martin Jan Dmitri Sergei Vasile Bogdan Adrian
""")
EASTERN_EUROPEAN_FEMALE = _names("""
Anna Katarzyna Agnieszka Magdalena Joanna Monika Ewa Marta Ioana Elena Maria Andreea
Alexandra Roxana Agne Ruta Laura Ilze Kristina Natalia Olga Irina Daniela Simona Lenka
""")
EASTERN_EUROPEAN_FAMILY = _names("""
Nowak Kowalski Wisniewski Wojcik Kaminski Lewandowski Zielinski Szymanski Popescu Ionescu
Popa Stan Dumitru Constantin Kazlauskas Jankauskas Petrauskas Berzins Kalnins Horvath
Novak Dvorak Kovac Ivanov Petrov Marin
""")


@dataclass(frozen=True)
class NamePool:
    """Names of one heritage: given names per sex and cohort, and family names."""

    name: str
    male: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    female: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    family: tuple[str, ...]


def _same_in_every_cohort(names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return (names, names, names)


POOLS: tuple[NamePool, ...] = (
    NamePool(
        "british",
        (BRITISH_MALE_BORN_BEFORE_1960, BRITISH_MALE_BORN_1960_1995, BRITISH_MALE_BORN_1996_ON),
        (
            BRITISH_FEMALE_BORN_BEFORE_1960,
            BRITISH_FEMALE_BORN_1960_1995,
            BRITISH_FEMALE_BORN_1996_ON,
        ),
        BRITISH_FAMILY,
    ),
    NamePool(
        "south_asian",
        (SOUTH_ASIAN_MALE, SOUTH_ASIAN_MALE, SOUTH_ASIAN_MALE),
        (SOUTH_ASIAN_FEMALE, SOUTH_ASIAN_FEMALE, SOUTH_ASIAN_FEMALE),
        SOUTH_ASIAN_FAMILY,
    ),
    NamePool(
        "black_african_caribbean",
        (BLACK_AFRICAN_CARIBBEAN_MALE,) * 3,  # type: ignore[arg-type]
        (BLACK_AFRICAN_CARIBBEAN_FEMALE,) * 3,  # type: ignore[arg-type]
        BLACK_AFRICAN_CARIBBEAN_FAMILY,
    ),
    NamePool("chinese", (CHINESE_MALE,) * 3, (CHINESE_FEMALE,) * 3, CHINESE_FAMILY),  # type: ignore[arg-type]
    NamePool(
        "eastern_european",
        (EASTERN_EUROPEAN_MALE,) * 3,  # type: ignore[arg-type]
        (EASTERN_EUROPEAN_FEMALE,) * 3,  # type: ignore[arg-type]
        EASTERN_EUROPEAN_FAMILY,
    ),
)
POOL_INDEX = {pool.name: i for i, pool in enumerate(POOLS)}

#: For each ethnic category letter, the chance of drawing names from each pool; the rest
#: (and unrecorded ethnicity) draw British names. Mixed heritage mostly carries British
#: names; Caribbean families mostly carry British family names, reflected here as a share.
POOL_BY_ETHNICITY: dict[str, dict[str, float]] = {
    "C": {"eastern_european": 0.5},
    "D": {"black_african_caribbean": 0.2},
    "E": {"black_african_caribbean": 0.3},
    "F": {"south_asian": 0.3},
    "H": {"south_asian": 0.9},
    "J": {"south_asian": 0.95},
    "K": {"south_asian": 0.95},
    "L": {"south_asian": 0.6, "chinese": 0.1},
    "M": {"black_african_caribbean": 0.5},
    "N": {"black_african_caribbean": 0.9},
    "P": {"black_african_caribbean": 0.7},
    "R": {"chinese": 0.85},
    "S": {"south_asian": 0.3},
}

#: Birth-year boundaries of the given-name cohorts.
COHORT_BOUNDARIES = (1960, 1996)


def zipf_weights(count: int) -> npt.NDArray[np.float64]:
    """Relative frequency of the names in a list ordered from most to least common."""
    weights = 1.0 / (np.arange(count, dtype=np.float64) + 3.0)
    result: npt.NDArray[np.float64] = weights / weights.sum()
    return result


def every_given_name() -> tuple[str, ...]:
    """All given names of all pools, each once, in a fixed order (a lookup vocabulary)."""
    seen: dict[str, None] = {}
    for pool in POOLS:
        for lists in (pool.male, pool.female):
            for names in lists:
                seen.update(dict.fromkeys(names))
    return tuple(seen)


def every_family_name() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for pool in POOLS:
        seen.update(dict.fromkeys(pool.family))
    return tuple(seen)
