META
key;value
description;Borgerbudget Barrit 2026
country;Denmark
unit;Barrit
instance;2026
num_projects;2
num_votes;2
budget;40000
vote_type;approval
rule;greedy
date_begin;01.05.2026
date_end;01.05.2026
language;da
currency;DKK
edition;2026
min_length;1
max_length;2
comment;"#1: exported by pbserver from the verifiable record of round barrit-2026; tie-break min-cost,max-votes,lot"
PROJECTS
project_id;cost;votes;name;category;selected
bibliotek;30000;1;Nyt bibliotek;laering;0
shelter;15000;2;"Shelter; i skoven";fritid-og-faellesskab;1
VOTES
voter_id;vote
1;bibliotek,shelter
2;shelter
