package fr.cartable.mobile

import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneId

/** The demo town hall every test talks to: one server for the whole test run. */
object Demo {
    const val PASSWORD = "demo-parent"
    const val CAMILLE = "camille.martin"
    const val JULIEN = "julien.martin"

    val server: TestServer by lazy {
        TestServer.start().also { s -> Runtime.getRuntime().addShutdownHook(Thread { s.close() }) }
    }

    /** A fresh, empty store folder: a new phone. */
    fun newStore(): String = Files.createTempDirectory("cartable-store-").toString()

    /** A new phone signed in as [login] and synced once. */
    fun signedIn(login: String = CAMILLE, device: String = "JVM de test"): CartableClient {
        val client = CartableClient.open(newStore())
        client.login(server.url, login, PASSWORD, device)
        client.sync()
        return client
    }

    /** Today in the town hall's time zone. */
    fun today(): LocalDate = LocalDate.now(ZoneId.of("Europe/Paris"))

    /**
     * Cells a parent can book now, from 8 days ahead on (clear of every demo deadline), as
     * the phone computes them: [count] at most, day by day.
     */
    fun bookableCells(
        client: CartableClient,
        count: Int,
        childId: String? = null,
        activityId: String? = null,
    ): List<PlanningCell> {
        val from = today().plusDays(8)
        val view = client.planningView(childId?.let { listOf(it) }, from.toString(), from.plusDays(90).toString())
        return view.rows.flatMap { it.cells }
            .filter { it.canBook && it.state == CellState.Free }
            .filter { activityId == null || it.activityId == activityId }
            .take(count)
    }

    /** The request of [childId] on [date] for [activityId] in the planning of its school year. */
    fun entry(client: CartableClient, childId: String, date: String, activityId: String): PlanningEntry {
        val year = LocalDate.parse(date).let { d -> if (d.monthValue >= 9) d.year else d.year - 1 }
        return client.planning("$year-${year + 1}")
            .single { it.childId == childId && it.date == date && it.activityId == activityId }
    }

    /** Léa Martin, the elder demo child. */
    fun lea(client: CartableClient): Child = client.dossier().children.single { it.firstName == "Léa" }
}
