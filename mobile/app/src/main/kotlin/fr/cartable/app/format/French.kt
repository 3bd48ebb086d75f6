package fr.cartable.app.format

import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import java.time.format.TextStyle
import java.util.Locale

/** Dates, amounts and sizes the way a French parent writes them. */
object French {
    private val locale: Locale = Locale.FRANCE

    /** The town hall's time zone: deadlines and times are shown in it. */
    val zone: ZoneId = ZoneId.of("Europe/Paris")

    private val months = listOf(
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    )

    /** "lundi", "mardi"... */
    fun weekday(date: LocalDate): String = date.dayOfWeek.getDisplayName(TextStyle.FULL, locale)

    /** "1er", "2"... as in "lundi 1er décembre". */
    private fun dayOfMonth(date: LocalDate): String =
        if (date.dayOfMonth == 1) "1er" else date.dayOfMonth.toString()

    /** "lundi 7 décembre" (a no-break space keeps "7 décembre" on one line). */
    fun day(date: LocalDate): String = "${weekday(date)} ${dayOfMonth(date)}\u00A0${months[date.monthValue - 1]}"

    /** "lundi 7 décembre 2026". */
    fun dayWithYear(date: LocalDate): String = "${day(date)} ${date.year}"

    /** "le lundi 7 décembre", "du lundi 7 décembre au mercredi 9 décembre". */
    fun span(from: LocalDate, to: LocalDate): String =
        if (from == to) "le ${day(from)}" else "du ${day(from)} au ${day(to)}"

    /** "7 décembre 2026" (no weekday), for birth dates and validity. */
    fun date(date: LocalDate): String = "${dayOfMonth(date)} ${months[date.monthValue - 1]} ${date.year}"

    /** A date from the SDK ("YYYY-MM-DD") as [date]; the text itself when it does not parse. */
    fun isoDate(text: String): String = runCatching { date(LocalDate.parse(text)) }.getOrDefault(text)

    /** A day from the SDK ("YYYY-MM-DD") as [day]; the text itself when it does not parse. */
    fun isoDay(text: String): String = runCatching { day(LocalDate.parse(text)) }.getOrDefault(text)

    /** "Semaine du 7 au 13 décembre", "Semaine du 28 décembre au 3 janvier". */
    fun week(monday: LocalDate): String {
        val sunday = monday.plusDays(6)
        val first = if (monday.month != sunday.month) {
            "${dayOfMonth(monday)}\u00A0${months[monday.monthValue - 1]}"
        } else {
            dayOfMonth(monday)
        }
        return "Semaine du $first au ${dayOfMonth(sunday)}\u00A0${months[sunday.monthValue - 1]}"
    }

    /** "décembre 2026". */
    fun month(date: LocalDate): String = "${months[date.monthValue - 1]} ${date.year}"

    /** "14 h 30", "8 h" (French typography). */
    fun time(ms: Long): String {
        val t = Instant.ofEpochMilli(ms).atZone(zone).toLocalTime()
        // No-break spaces: "14 h 30" never breaks across lines.
        return if (t.minute == 0) "${t.hour}\u00A0h" else "${t.hour}\u00A0h\u00A0${"%02d".format(t.minute)}"
    }

    /** "jeudi 3 décembre à 12 h". */
    fun moment(ms: Long): String {
        val d = Instant.ofEpochMilli(ms).atZone(zone).toLocalDate()
        return "${day(d)} à ${time(ms)}"
    }

    /** "12,50 €", "-3,20 €", "1 234,00 €" (narrow no-break spaces). */
    fun euros(cents: Long): String {
        val sign = if (cents < 0) "-" else ""
        val abs = Math.abs(cents)
        val units = (abs / 100).toString().reversed().chunked(3).joinToString("\u202F").reversed()
        return "$sign$units,${"%02d".format(abs % 100)}\u00A0€"
    }

    /** "850 Ko", "1,2 Mo". */
    fun size(bytes: Long): String = when {
        bytes < 1024 -> "$bytes octets"
        bytes < 1024 * 1024 -> "${(bytes + 512) / 1024} Ko"
        else -> "%.1f Mo".format(locale, bytes / (1024.0 * 1024.0))
    }

    /** "1 modification", "3 modifications". */
    fun changes(count: Long): String = if (count <= 1) "$count modification" else "$count modifications"

    /** "oui" / "non". */
    fun yesNo(value: Boolean): String = if (value) "oui" else "non"
}
