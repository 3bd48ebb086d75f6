package fr.cartable.app.state

import java.time.LocalDate
import java.time.format.DateTimeFormatter
import java.time.format.ResolverStyle

/** Dates typed by a parent: JJ/MM/AAAA (also JJ/MM/AA and AAAA-MM-JJ). */
object DateInput {
    private val slashed = DateTimeFormatter.ofPattern("dd/MM/uuuu").withResolverStyle(ResolverStyle.STRICT)

    fun parse(text: String): LocalDate? {
        val t = text.trim()
        runCatching { return LocalDate.parse(t) }
        val parts = t.split('/', '.', '-').map { it.trim() }
        if (parts.size != 3) return null
        val (d, m, y) = parts
        val year = if (y.length == 2) "20$y" else y
        return runCatching { LocalDate.parse("${d.padStart(2, '0')}/${m.padStart(2, '0')}/$year", slashed) }.getOrNull()
    }

    fun format(date: LocalDate): String = "%02d/%02d/%04d".format(date.dayOfMonth, date.monthValue, date.year)
}
