"""Hand-made page features for the page-type classifier, each one something a person would check.

`page_features(extraction, html)` returns a flat dict name → float (stable names: the fitted
model stores them) plus `page_tokens(...)`, the words of the URL, title and headings that the
model's TF-IDF part reads. Shared by discover/pages/classify.py and discover/pages/training.py.

Cues are *phrase families*, not a site's wording: each family holds the ways people write one
thing (an invitation to contribute, a thread's chrome, a directory's "add your business") in
English, Spanish, French, German and the nearest neighbours, so a page in any of them is read
alike. A family is counted per zone — title/h1, headings, main text, URL — because the same
words weigh differently there ("Write for us" as a page's title vs in every page's menu).

Evidence every page of a CMS carries (og:type=article, a WordPress generator, share buttons)
is not a feature: it says which software built the site, not what the page is.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from urllib.parse import urlsplit

from discover.records import Extraction


def _family(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.I)


CUES: dict[str, re.Pattern[str]] = {
    # An invitation to write for the site.
    "write_for_us": _family(
        r"write for (?:us|me)|writing for us|guest (?:post(?:s|ing)?|blog(?:ger|ging)?|author|writer|articles?|"
        r"contributors?|recipes?)\b|become an? (?:contributor|author|writer)|contributor guidelines|"
        r"contribute (?:an?|your) (?:article|post|story|guest)|contribute to (?:our|the) (?:blog|magazine|site)|"
        r"submit (?:a|an|your) (?:guest )?(?:post|article|story|essay|pitch|recipe|idea|piece|wedding)|"
        r"accepting (?:guest|submissions|pitches)|\bpitch (?:me|us)\b|submissions?\b|call for (?:writers|papers|pitches)|"
        r"blog (?:post )?(?:submissions?|proposals?)|propos(?:e|al for) (?:a |your )?(?:blog )?(?:post|article)",
        # es / pt / it
        r"escrib[ea] (?:para|con) nosotros|colabora(?:dor(?:es|a)?|ciones|r)?\b|art[ií]culos? invitados?|"
        r"autor(?:es)? invitados?|env[ií]a(?:nos)? tu (?:art[ií]culo|propuesta|post)|publica (?:en|con) nosotros|"
        r"escreva para n[oó]s|seja um colaborador|scrivi per noi|collabora con noi|articolo ospite",
        # fr
        r"[ée]crire pour nous|[ée]crivez pour nous|proposer un article|proposez (?:un|votre) article|"
        r"article invit[ée]|r[ée]dacteurs? invit[ée]s?|devenir (?:contributeur|r[ée]dacteur|auteur)",
        # de / nl
        r"gastbeitr[aä]g|gastartikel|gastautor|f[uü]r uns schreiben|schreiben sie f[uü]r uns|autor werden|"
        r"beitrag einreichen|schrijf voor ons|gastblog"),
    # Contributing in general (code, donations, articles): weak on its own.
    "contribute": _family(
        r"\bcontribut(?:e|ed|or|ors|ing|ions?)\b|\bsubmit\b|colabor(?:a|ar|adores?|aciones?)\b|"
        r"\bcontribu(?:er|ez|teurs?|tions?)\b|mitmachen|mitwirken|\bbeitragen\b|mitarbeit"),
    # What a contribution must be: terms, lengths, process (any language).
    "guidelines": _family(
        r"guidelines|word count|\d[\d,.]{2,5}\s*(?:-|–|to)\s*\d[\d,.]{2,5}\s*words|\d{3,4}\+?\s*words|"
        r"original(?:,)? (?:content|work|articles?|pieces?)|we (?:do not|don't|do|will|won't) (?:accept|publish)|"
        r"we accept|pitch (?:us|your|me)|(?:author|short) bio|\bbyline|unpublished|previously published|"
        r"how to (?:submit|pitch)|honorarium|what (?:works|doesn'?t work|we(?:'re| are) looking for|we want)|"
        r"you (?:get|will get|receive)|topics we cover|editorial (?:calendar|standards)|do-?follow|"
        r"submission (?:requirements|process|form)|requirements|send (?:us )?(?:your|a) (?:pitch|draft|idea|article)",
        r"pautas|normas de (?:publicaci[oó]n|colaboraci[oó]n)|requisitos|palabras\b|contenido original|"
        r"no aceptamos|aceptamos|env[ií]a(?:nos)?|propuesta",
        r"consignes|r[eè]gles de (?:publication|r[ée]daction)|crit[eè]res|\bmots\b|contenu original|"
        r"nous (?:acceptons|n'acceptons pas|publions)|envoyez(?:-nous)?|proposition",
        r"richtlinien|voraussetzungen|anforderungen|w[oö]rter\b|einzigartige?r? (?:inhalt|text)|"
        r"wir (?:akzeptieren|ver[oö]ffentlichen)|senden sie|themenvorschlag"),
    # Journalists asking for sources.
    "haro": _family(
        r"journalists?\b|reporters?\b|looking for (?:sources|experts?|people|businesses|someone|\w+ to comment)|"
        r"seeking (?:sources|experts?|comment)|media outlet|\boutlet\b|\bdeadline\b|source requests?|"
        r"\bHARO\b|#journorequest|on background|for an upcoming (?:article|story|piece|feature)|"
        r"(?:press|media|journalist) (?:requests?|queries|enquir(?:y|ies))|\bquer(?:y|ies)\b",
        r"periodistas? (?:busca|necesita)|buscamos (?:fuentes|expertos|testimonios)|fecha l[ií]mite|plazo\b",
        r"journalistes? (?:cherche|recherche)|appel [àa] t[ée]moins?|cherche (?:des )?t[ée]moignages?|date limite",
        r"journalist(?:in)? sucht|experten gesucht|interviewpartner|protagonist(?:en|in)? gesucht|einsendeschluss"),
    "haro_fields": re.compile(r"(?m)^[ \t]*(?:deadline|outlet|media outlet|requirements|category|name|"
                              r"plazo|fecha l[ií]mite|medio|date limite|m[ée]dia|frist|medium)[ \t]*:", re.I),
    # Adding a business or site to a directory, and a directory's words.
    "directory": _family(
        r"(?:business|web|link|local|vendor|member|company|trade|site|speaker|expert) directory|directory of|"
        r"(?:join|browse|search) (?:the|our) directory|\blistings?\b|featured listings?|"
        r"browse (?:by )?categor|all categories|yellow pages|\ba-z\b|webring|"
        r"browse (?:all |our )?(?:\w+ ){0,2}(?:by (?:state|city|region|county|area|type)|listings|vendors|"
        r"businesses|shops|members|companies)|find (?:a|an|local) (?:[\w-]+ ){1,3}near you|"
        r"(?:lists|listing|over|more than) \d[\d,]* (?:[\w-]+ ){0,2}(?:businesses|shops|stores|vendors|companies|"
        r"members|sites|listings|suppliers|providers)|member business(?:es)?",
        r"directorio|gu[ií]a (?:de|comercial)|empresas en|categor[ií]as\b|listado de",
        r"annuaire|cat[ée]gories\b|fiche entreprise",
        r"branchenbuch|firmenverzeichnis|webkatalog|verzeichnis|kategorien\b|gelbe seiten|bedrijvengids"),
    # Getting listed: adding, submitting, claiming or updating an entry.
    "directory_add": _family(
        r"add (?:your|a|an)(?: [\w&'-]+){0,2} (?:listing|business|site|website|link|shop|store|company|"
        r"event|venue|organi[sz]ation|service)|submit (?:your|a)(?: [\w&'-]+){0,2} (?:site|website|listing|"
        r"business|link|url|shop|store|company)|join (?:the|our) (?:directory|webring|ring)|"
        r"list your (?:business|shop|company|practice|venue|services?)|claim (?:this|your) (?:listing|business)|"
        r"get listed|(?:update|edit|remove|delete) (?:your|this|my) (?:entry|listing|business|profile)|"
        r"(?:is this|if this is) your (?:entry|listing|business)|be (?:added|listed) (?:to|in) (?:the|our)",
        r"a[ñn]ad(?:e|ir) (?:tu|su) (?:empresa|negocio|web|sitio)|(?:registra|publica|anuncia) tu (?:empresa|negocio)|"
        r"da de alta tu",
        r"r[ée]f[ée]rencer (?:votre|son) (?:site|entreprise)|ajouter (?:votre|un) (?:site|entreprise|commerce)|"
        r"inscri(?:re|vez|ption) (?:de )?(?:votre|son) (?:site|entreprise)",
        r"firma eintragen|unternehmen eintragen|eintrag (?:hinzuf[uü]gen|erstellen|[aä]ndern)|kostenlos eintragen"),
    # Curated outbound links.
    "resource": _family(
        r"\bresources\b|useful links|helpful links|recommended (?:sites|links|reading|resources|websites)|"
        r"further reading|link ?list|links? (?:page|we love)|our favou?rite (?:sites|links|blogs)|\blinks\b|"
        r"websites? we (?:like|love|recommend)|blogroll|other (?:useful )?(?:sites|websites)|"
        r"suggest a (?:link|resource|site|book)|(?:added|add it) to (?:this|the|our) list|curated (?:list|collection)|"
        r"reading list|awesome list|bookmarks",
        r"recursos|enlaces(?: de inter[eé]s| [uú]tiles)?|links (?:de inter[eé]s|[uú]teis)|sitios recomendados",
        r"ressources|liens (?:utiles|int[ée]ressants|amis|recommand[ée]s)|\bliens\b|sites (?:amis|partenaires)",
        r"n[uü]tzliche links|weblinks|linkliste|linksammlung|linktipps|\blinks\b"),
    # A thread's chrome and a board's words.
    "forum": _family(
        r"\b(?:reply|replies|quote|joined|posts?:|thread|topic|members?|registered|re:|moderator|forum|forums|"
        r"board index|unread|last post|views|likes? received|reaction score|new posts|posted:|"
        r"original poster|\bOP\b)\b",
        # mailing-list archives and Q&A boards are discussions too
        r"messages sorted by|next message|previous message|in reply to|next in thread|mailing list|"
        r"list archive|thread index|date index|\d+ answers?\b|asked (?:\d|on|in|by)|answered\b|accepted answer|"
        r"\d+ votes?\b|\d+ points? by|add a comment|best answer",
        r"\b(?:respuestas?|responder|citar|mensajes|registrado|tema|foro|[uú]ltimo mensaje|visitas|miembro)\b",
        r"\b(?:r[ée]ponses?|r[ée]pondre|citer|messages|inscrit|sujet|forum|dernier message|vues|membre)\b",
        r"\b(?:antworten|antwort|zitieren|beitr[aä]ge|registriert|thema|forum|letzter beitrag|zugriffe|mitglied)\b"),
    # A blog's post furniture.
    "blog": _family(
        r"leave a (?:comment|reply)|posted (?:on|in|by)|filed under|\bcomments?\b|related posts|read more|"
        r"continue reading|tags?:|categor(?:y|ies):|about (?:me|the author)|subscribe to (?:my|the) blog|"
        r"hi,? i'?m\b|\bmy (?:blog|husband|kids|family|kitchen)\b|newer posts|older posts|previous post|next post",
        r"deja (?:un|tu) comentario|comentarios?\b|publicado (?:por|el|en)|leer m[aá]s|entradas? (?:relacionadas|"
        r"anteriores|recientes)|sobre m[ií]|mi blog",
        r"laisser un commentaire|commentaires?\b|publi[ée] (?:par|le)|lire la suite|articles? (?:similaires|"
        r"r[ée]cents)|[àa] propos de moi|mon blog",
        r"kommentar(?:e|en)?\b|hinterlasse|ver[oö]ffentlicht (?:von|am)|weiterlesen|[aä]hnliche beitr[aä]ge|"
        r"[uü]ber mich|mein blog|neuere beitr[aä]ge|[aä]ltere beitr[aä]ge"),
    # Recipes and how-tos (blog posts with reader comments, not threads).
    "recipe": _family(
        r"\bingredients?\b|\binstructions\b|prep time|cook time|total time|\bservings?\b|\bserves \d|"
        r"\byield\b|print recipe|jump to recipe|\btbsp\b|\btsp\b|step \d|how to make|\bmethod\b",
        r"ingredientes|preparaci[oó]n|raciones|tiempo de (?:preparaci[oó]n|cocci[oó]n)|receta",
        r"ingr[ée]dients|pr[ée]paration|temps de (?:cuisson|pr[ée]paration)|recette|personnes\b",
        r"zutaten|zubereitung|portionen|rezept|kochzeit|arbeitszeit"),
    # A blog's sidebar: archives by month, recent posts, the author's box.
    "blog_widgets": _family(
        r"recent posts|popular posts|\barchives?\b|blogroll|about me|about the author|subscribe by email|"
        r"follow (?:this|my) blog|(?:january|february|march|april|may|june|july|august|september|october|"
        r"november|december) \d{4}|older entries|newer entries|powered by (?:wordpress|blogger)",
        r"entradas (?:recientes|populares)|archivos?\b|sobre (?:m[ií]|el autor)|"
        r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) \d{4}",
        r"articles (?:r[ée]cents|populaires)|archives|[àa] propos de l'auteur|"
        r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre) \d{4}",
        r"neueste beitr[aä]ge|beliebte beitr[aä]ge|\barchiv\b|[uü]ber den autor|"
        r"(?:januar|februar|m[aä]rz|april|mai|juni|juli|august|september|oktober|november|dezember) \d{4}"),
    # An outlet's furniture: ads, newsletters, most-read boxes, subscriptions.
    "news_furniture": _family(
        r"\badvertisement\b|most (?:read|popular|viewed)|\btrending\b|sign up for (?:our|the) newsletter|"
        r"\bsubscribe\b|subscription|related (?:stories|articles|coverage)|read next|\blive\b|"
        r"\bupdated\b|\bcopyright \d{4}\b|all rights reserved|editor(?:ial)? (?:team|board)|\bpodcasts?\b",
        r"publicidad|lo m[aá]s (?:le[ií]do|visto)|suscr[ií]bete|bolet[ií]n|hemeroteca|en directo",
        r"publicit[ée]|les plus lus|abonnez-vous|abonnement|newsletter|en direct",
        r"\banzeige\b|meistgelesen|abonnieren|\babo\b|newsletter|liveticker|ressort"),
    # Software documentation and project pages.
    "docs": _family(
        r"documentation|\binstall(?:ation|ing)?\b|getting started|quick ?start|\bapi\b|reference|changelog|"
        r"release notes|\bfaq\b|\blicen[cs]e\b|github|source code|\bdownload\b|\bversion \d|"
        r"command line|configuration|pull request|issue tracker",
        r"documentaci[oó]n|instalaci[oó]n|descarga|documentation|t[ée]l[ée]charger|dokumentation|installation"),
    # A news report's wording.
    "news": _family(
        r"\b(?:reported|according to|said (?:on|in|that)|told (?:the|reporters)|press release|newsroom|breaking|"
        r"staff (?:writer|reporter)|correspondent|associated press|reuters|\bAFP\b|updated|published|"
        r"officials? said|spokes(?:man|woman|person)|minutes? ago|hours? ago)\b",
        r"\b(?:seg[uú]n|inform[oó]|declar[oó]|afirm[oó]|agencia|\bEFE\b|redacci[oó]n|actualizado|corresponsal)\b",
        r"\b(?:selon|a d[ée]clar[ée]|a affirm[ée]|a indiqu[ée]|r[ée]daction|mis [àa] jour|envoy[ée] sp[ée]cial|"
        r"correspondant)\b",
        r"\b(?:laut|sagte|erkl[aä]rte|berichtet|\bdpa\b|redaktion|aktualisiert|korrespondent)\b"),
    # A news outlet's sections (menus of a front page).
    "news_sections": _family(
        r"\b(?:politics|world|business|sports?|opinion|weather|entertainment|national|local news|economy|"
        r"health|science|technology|lifestyle|obituaries|editorials?|latest news|top stories|breaking news|"
        r"us news|uk news|world news)\b",
        r"\b(?:pol[ií]tica|econom[ií]a|deportes|internacional|opini[oó]n|sociedad|cultura|sucesos|[uú]ltima hora|"
        r"nacional)\b",
        r"\b(?:politique|[ée]conomie|international|soci[ée]t[ée]|culture|sports|m[ée]t[ée]o|faits divers|"
        r"[àa] la une)\b",
        r"\b(?:politik|wirtschaft|sport|kultur|panorama|meinung|wetter|ausland|inland|nachrichten|schlagzeilen)\b"),
    # Link selling, gambling, pills: a link farm's vocabulary.
    "spam": _family(
        r"casino|poker|betting|viagra|cialis|payday|\bloans?\b|crypto|bitcoin|forex|replica|escort|porn|xxx|"
        r"cheap (?:pills|watches)|buy (?:backlinks|links|followers)|seo packages?|link packages?|"
        r"guaranteed rankings?|\bpbn\b|weight loss pills|\bslots?\b|"
        r"(?:free|cheap|get|buy) (?:do-?follow )?backlinks?|article (?:directory|submission)|instant approval",
        r"apuestas|pr[eé]stamos? r[aá]pidos|comprar enlaces|casas de apuestas",
        r"paris sportifs|acheter des (?:liens|backlinks)|pr[eê]t rapide",
        r"sportwetten|backlinks kaufen|kredit ohne schufa|online-?casino"),
    "paid": _family(
        r"sponsored (?:post|article)s?|paid (?:post|placement|links?|guest posts?)|buy (?:a )?(?:guest post|link)|"
        r"dofollow links? for|price list|\$\s?\d+ (?:per|/) ?(?:post|link|article)|link insertion|"
        r"art[ií]culos? patrocinados?|article sponsoris[ée]|gesponserte? (?:beitr[aä]ge|artikel)"),
    # Selling things.
    "shop": _family(
        r"add to (?:cart|basket|bag)|shopping (?:cart|bag)|\bcheckout\b|buy now|in stock|out of stock|"
        r"free shipping|\bsku\b|\bqty\b|quantity|price:|\$\d+\.\d\d|£\d+\.\d\d|€\s?\d+[.,]\d\d",
        r"a[ñn]adir al carrito|comprar ahora|env[ií]o gratis|precio|carrito",
        r"ajouter au panier|\bpanier\b|livraison gratuite|prix\b|acheter",
        r"in den warenkorb|warenkorb|versandkostenfrei|\bpreis\b|jetzt kaufen|lieferzeit"),
    # A company's own pages: contact, about, legal, services.
    "company": _family(
        r"contact us|get in touch|about us|our (?:team|services|clients|mission|story|company|products)|"
        r"privacy policy|terms (?:of|and) (?:service|use|conditions)|cookie policy|careers|pricing|"
        r"request a (?:demo|quote)|get a quote|free (?:trial|consultation)|all rights reserved|sign ?up|log ?in",
        r"cont[aá]ct(?:anos|o)|sobre nosotros|qui[eé]nes somos|nuestros servicios|aviso legal|"
        r"pol[ií]tica de (?:privacidad|cookies)|solicita (?:un )?presupuesto",
        r"contactez-nous|nous contacter|qui sommes-nous|[àa] propos|nos services|mentions l[ée]gales|"
        r"politique de confidentialit[ée]|demander un devis",
        r"kontakt|[uü]ber uns|unsere leistungen|impressum|datenschutz|agb\b|angebot anfordern"),
}

# The same families for counting over long, lower-cased text: case-insensitive alternations are
# several times slower in `re`, and every labelled page runs each family over ~50 KB.
assert not any(re.search(r"\\[A-Z]", rx.pattern) for rx in CUES.values()), "upper-case escape in a cue"
LOWER_CUES: dict[str, re.Pattern[str]] = {n: re.compile(rx.pattern.lower(), rx.flags & ~re.I)
                                          for n, rx in CUES.items()}

URL_CUES: dict[str, re.Pattern[str]] = {
    "url_forum": re.compile(r"forum|thread|topic|viewtopic|showthread|/t/|board|discussion|community|/comments/|"
                            r"foro|/tema|/sujet|/thema|/r/", re.I),
    "url_directory": re.compile(r"director|listing|business|/add|submit|catalog|/biz|/category|/categor|"
                                r"annuaire|directorio|verzeichnis|branchen|/empresas|/companies|/firm", re.I),
    "url_haro": re.compile(r"quer(y|ies)|request|sources|journalist|haro|press-?req|journo", re.I),
    "url_resource": re.compile(r"resource|links|useful|helpful|recommended|recursos|enlaces|liens|ressources", re.I),
    "url_guest": re.compile(r"write-?for|guest|gastbeitr|gastautor|escribe-?para|colabora-?con|proposer-?un|"
                            r"ecrire-?pour|redacteur|become-?a-?(?:contributor|writer|author)", re.I),
    "url_contribute": re.compile(r"contribut|submission|submit|pitch|colabora|mitmachen", re.I),
    "url_blog": re.compile(r"blog|/\d{4}/\d{2}/|/posts?/|/entry|/recipes?/|/receta", re.I),
    "url_news": re.compile(r"news|article|story|/\d{4}/\d{2}/\d{2}/|press|noticia|nachricht|actualit|/politi|"
                           r"/world/|/sport|/economi", re.I),
    "url_company": re.compile(r"about|contact|privacy|terms|legal|impressum|careers|pricing|services?/?$|"
                              r"shop|product|cart|store|kontakt|contacto|quienes|mentions", re.I),
}

_WORD = re.compile(r"[^\W\d_]{2,}")
# Phone numbers as written for people: (515) 555-0134, +44 113 496 0000, 0113 496 0000.
_PHONE = re.compile(r"(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,5}\)[\s-]?|\b\d{3,5}[\s-])\d{3,4}[\s-]\d{3,4}\b")
_ADDRESS = re.compile(r"\b\d{1,5}\s+[A-Z][a-z]+\s+(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Lane|Ln|Dr|Drive|Way|"
                      r"Court|Ct)\b|\b(?:calle|avenida|c/)\s+\w+|\b\w+(?:stra(?:ss|ß)e|weg|platz)\s+\d+|"
                      r"\b\d{1,4},?\s+(?:rue|avenue|boulevard|place)\s+\w+", re.I)
_PROFILE = re.compile(r"memberlist|/members?/|/users?/|/u/|profile|viewprofile|/miembros?/|/membres?/|/mitglied",
                      re.I)
_POST_ACTION = re.compile(r"(?:^|[?&/_-])(?:quote|reply|replytocom|report|multiquote|do=newreply|"
                          r"posting\.php|action=post)", re.I)
_SAID = re.compile(r"\b(?:said|says|told|according to|sagte|sagt|erkl[aä]rte|dijo|afirm[oó]|seg[uú]n|"
                   r"a d[ée]clar[ée]|a dit|selon)\b", re.I)
# "WASHINGTON (Reuters) — ", "BERLIN - ": a news dateline opening the text.
_DATELINE = re.compile(r"\s*[A-ZÄÖÜÉ][A-ZÄÖÜÉ .'-]{2,30}(?:,? [A-Z][a-z.]+)?(?: \([\w .]+\))? ?[—–-] ")
# Top-level domains that abuse trackers (Spamhaus, SURBL) list as the most abused by spam and
# throwaway link sites: a weak sign alone, which is why it is a feature and not a rule.
_ABUSED_TLD = re.compile(r"\.(?:xyz|top|info|biz|click|loan|work|icu|buzz|gq|cf|tk|ml|ga|win|bid|stream|"
                         r"racing|review|date|men|party|trade|cricket|science|download|accountant|faith|"
                         r"rest|fit|cyou|sbs|cfd|monster|quest)$")
_HOST_BLOG = re.compile(r"(?:^|\.)blog|blog(?:spot|ger)?\.|wordpress\.com$|medium\.com$|tumblr\.com$|"
                        r"substack\.com$|ghost\.io$|typepad|livejournal|hatenablog|over-blog|blogs?\.")
_HOST_NEWS = re.compile(r"news|times|post\.|tribune|herald|gazette|journal|zeitung|diario|periodico|"
                        r"presse|courier|daily|chronicle|observer|telegraph|abendblatt|nachrichten|noticias|"
                        r"actu|monde|guardian|reuters|\bap\.|bbc|cnn|npr\.|radio|tv\.")
_MONTH_ANCHOR = re.compile(r"(?:[^\W\d_]{3,10}\.? \d{4}|\d{4}[/-]\d{2}|\d{1,2}/\d{4})(?: \(\d+\))?")
_DATED = re.compile(r"/(?:19|20)\d{2}/\d{1,2}/|/(?:19|20)\d{2}-\d{2}-\d{2}|[-_/](?:19|20)\d{6}\b")
_COMMENT_MARKUP = re.compile(r"(?:class|id)=[\"'][^\"']*(?:comment-?list|commentlist|comments-area|comment-respond|"
                             r"wp-comment|comment-body|comment-content|disqus_thread|jp-carousel-comment|"
                             r"comentarios|commentaires|kommentare)", re.I)


def _log(x: float) -> float:
    return math.log1p(max(0.0, x))


def count_cue(name: str, low_text: str) -> int:
    """Matches of a cue family in lower-cased text."""
    return sum(1 for _ in LOWER_CUES[name].finditer(low_text))


def title_blob(ext: Extraction) -> str:
    meta = ext.meta or {}
    return " ".join([ext.title, *meta.get("h1", [])])


def page_features(ext: Extraction, html: str = "") -> dict[str, float]:
    meta = ext.meta or {}
    text = ext.text or ""
    full = ext.full_text or text
    tblob = title_blob(ext)
    heads = " \n".join(meta.get("headings", [])[:40])
    parts = urlsplit(ext.url)
    low_url = (parts.path + "?" + parts.query).lower()
    path = parts.path.lower()
    f: dict[str, float] = {}

    links = ext.links
    web_links = [lk for lk in links if lk.url.startswith("http")]
    external = [lk for lk in web_links if not lk.internal]
    internal = [lk for lk in web_links if lk.internal]
    content_ext = [lk for lk in external if lk.position == "content"]
    content_int = [lk for lk in internal if lk.position == "content"]
    ext_domains = {urlsplit(lk.url).hostname for lk in content_ext}
    f["links"] = _log(len(web_links))
    f["external_links"] = _log(len(external))
    f["content_external_links"] = _log(len(content_ext))
    f["content_external_domains"] = _log(len(ext_domains))
    f["external_ratio"] = len(external) / max(1, len(web_links))
    f["content_external_ratio"] = len(content_ext) / max(1, len(web_links))
    f["nofollow_ratio"] = sum(1 for lk in external if lk.rel) / max(1, len(external))
    f["comment_links"] = _log(sum(1 for lk in links if lk.position == "comments"))
    f["content_internal_links"] = _log(len(content_int))
    # Headlines: long internal anchors in the content (a front page's or blog home's teasers).
    f["headline_links"] = _log(sum(1 for lk in content_int if len(lk.anchor.split()) >= 6))
    f["dated_links"] = _log(len({lk.url for lk in internal if _DATED.search(lk.url)}))
    # Short internal anchors in the content: category and entry names of a directory.
    f["short_internal_links"] = _log(sum(1 for lk in content_int if 1 <= len(lk.anchor.split()) <= 3))
    f["profile_links"] = _log(len({lk.url for lk in internal if _PROFILE.search(lk.url)}))
    f["post_action_links"] = _log(sum(1 for lk in internal if _POST_ACTION.search(lk.url)))
    f["mailto_links"] = _log(sum(1 for lk in links if lk.url.startswith("mailto:")))
    f["tel_links"] = _log(sum(1 for lk in links if lk.url.startswith("tel:")))
    anchors_ext = " ".join(lk.anchor for lk in external).lower()
    f["spam_anchors"] = _log(count_cue("spam", anchors_ext))
    nav_anchors = " \n".join(lk.anchor for lk in internal if lk.position in ("navigation", "header")).lower()
    f["nav_news_sections"] = _log(len({m.group(0) for m in LOWER_CUES["news_sections"].finditer(nav_anchors)}))
    int_anchors = " \n".join(lk.anchor for lk in internal).lower()
    f["nav_write_for_us"] = float(bool(LOWER_CUES["write_for_us"].search(int_anchors)))
    f["nav_directory"] = float(bool(LOWER_CUES["directory_add"].search(int_anchors)))
    f["ext_per_item"] = min(2.0, len(content_ext) / max(1, meta.get("list_items", 0)))
    f["list_items"] = _log(meta.get("list_items", 0))
    f["headings"] = _log(len(meta.get("headings", [])))

    forms = meta.get("forms", [])
    for kind in ("submit", "comment", "contact", "search", "login"):
        f[f"form_{kind}"] = float(any(fm.get("kind") == kind for fm in forms))

    f["forum_software"] = float(bool(meta.get("forum_software")))
    f["forum_posts"] = _log(ext.forum_posts or 0)
    f["forum_dated"] = float(bool(ext.forum_last_post))
    schema_types = " ".join(str(s.get("@type")) for s in meta.get("schema", [])).lower()
    f["schema_news"] = float("newsarticle" in schema_types or "reportage" in schema_types)
    f["schema_blog"] = float("blogposting" in schema_types)
    f["schema_recipe"] = float("recipe" in schema_types or "howto" in schema_types)
    f["schema_business"] = float(any(k in schema_types for k in ("localbusiness", "store", "restaurant",
                                                                   "professionalservice")))
    f["schema_list"] = float("itemlist" in schema_types)
    f["schema_product"] = float("product" in schema_types or "offer" in schema_types)
    f["schema_forum"] = float("discussionforumposting" in schema_types or "qapage" in schema_types)
    low_html = html[:400_000]
    f["comment_markup"] = float(bool(_COMMENT_MARKUP.search(low_html)))
    f["has_author"] = float(bool(ext.author))
    f["has_date"] = float(bool(ext.date))
    f["text_len"] = _log(len(text))
    f["full_len"] = _log(len(full))
    f["text_share"] = len(text) / max(1, len(full))
    f["scripts"] = _log(meta.get("script_count", 0))

    head = text[:20_000]
    fhead = full[:20_000]
    zones = (tblob.lower(), heads.lower(), head.lower(), fhead.lower())
    for name, rx in LOWER_CUES.items():
        f[f"title_{name}"] = float(bool(rx.search(zones[0])))
        f[f"head_{name}"] = _log(count_cue(name, zones[1]))
        f[f"cue_{name}"] = _log(count_cue(name, zones[2]))
        f[f"full_{name}"] = _log(count_cue(name, zones[3]))
    for name, rx in URL_CUES.items():
        f[name] = float(bool(rx.search(low_url)))
    depth = path.strip("/").count("/") + (1 if path.strip("/") else 0)
    f["path_depth"] = float(min(6, depth))
    f["home_page"] = float(path in ("", "/") or bool(re.fullmatch(r"/(?:index|default|home)\.\w+", path)))

    words = _WORD.findall(text.lower()[:30_000])
    if words:
        counts = Counter(words)
        f["unique_word_ratio"] = len(counts) / len(words)
        f["top_word_share"] = counts.most_common(1)[0][1] / len(words)
    else:
        f["unique_word_ratio"] = f["top_word_share"] = 0.0
    f["phones"] = _log(len(_PHONE.findall(fhead)))
    f["addresses"] = _log(len(_ADDRESS.findall(fhead)))
    f["emails"] = _log(sum(1 for c in ext.contacts if c.kind == "email"))
    n_words = max(1, len(_WORD.findall(head[:20_000])))
    f["said_density"] = 100.0 * len(_SAID.findall(head)) / n_words
    f["quote_density"] = 100.0 * len(re.findall(r"[“”„«»]|\"", head)) / n_words
    f["dateline"] = float(bool(_DATELINE.match(text[:200])))
    host = (parts.hostname or "").lower()
    f["host_blog"] = float(bool(_HOST_BLOG.search(host)))
    f["host_news"] = float(bool(_HOST_NEWS.search(host)))
    f["host_abused_tld"] = float(bool(_ABUSED_TLD.search(host)))
    # Keyword-stuffed names (cheap-bike-repair-best.xyz) are made of hyphenated words.
    f["host_hyphens"] = float(min(4, host.removeprefix("www.").split(".")[0].count("-")))
    f["wiki_markup"] = float(bool(re.search(r"action=edit|/wiki/|\[edit\]|mw-editsection|printable=yes", low_html)))
    f["month_links"] = _log(sum(1 for lk in internal if _MONTH_ANCHOR.fullmatch(lk.anchor.strip().lower())))
    f["first_person"] = _log(len(re.findall(r"\b(?:I|I'm|I've|my|me|yo|mi|je|mon|ma|ich|mein|meine)\b", head[:8000])))
    f["questions"] = _log(head.count("?"))
    return f


def page_tokens(ext: Extraction) -> str:
    """URL path words, title and headings: the model's bag-of-words input (no page body: that is topic)."""
    parts = urlsplit(ext.url)
    url_words = re.split(r"[^a-z0-9]+", (parts.path + " " + parts.query).lower())
    meta = ext.meta or {}
    blob = " ".join([*(f"u_{w}" for w in url_words if w and not w.isdigit() and len(w) < 25),
                     ext.title, *meta.get("h1", []), *meta.get("headings", [])[:20]])
    return blob.lower()
